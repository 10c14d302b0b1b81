// Package fhirimport loads FHIR data from files into the record store:
// transaction, batch and collection Bundles (.json, .json.gz), single
// resources, and NDJSON (.ndjson, .ndjson.gz), from files or folders.
//
// Every file goes through the FHIR API's own transaction processing
// (in-process, no network), so an import validates, rewrites urn:uuid
// references and indexes exactly as a client's POST would. Errors are per
// file: a bad file is reported and the rest carry on.
//
// Layer 6 (beside server): imports fhirapi and the layers below it; only the
// command line and tests import it.
package fhirimport

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// kind of a file, from its name.
type kind int

const (
	kindJSON kind = iota + 1
	kindNDJSON
)

func kindOf(name string) (kind, bool) {
	n := strings.ToLower(strings.TrimSuffix(name, ".gz"))
	switch {
	case strings.HasSuffix(n, ".ndjson"):
		return kindNDJSON, true
	case strings.HasSuffix(n, ".json"):
		return kindJSON, true
	}
	return 0, false
}

// file is one input file with its size on disk (for progress).
type file struct {
	path string
	kind kind
	size int64
}

// expand turns the command line's paths into the files to import, folders
// walked recursively, in name order. Files that are not .json/.ndjson(.gz)
// inside folders are skipped; named explicitly they are an error.
func expand(paths []string) ([]file, error) {
	var out []file
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		if !info.IsDir() {
			k, ok := kindOf(p)
			if !ok {
				return nil, fmt.Errorf("import: %s: want .json, .json.gz, .ndjson or .ndjson.gz", p)
			}
			out = append(out, file{p, k, info.Size()})
			continue
		}
		var found []file
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if k, ok := kindOf(d.Name()); ok {
				fi, err := d.Info()
				if err != nil {
					return err
				}
				found = append(found, file{path, k, fi.Size()})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import: walk %s: %w", p, err)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
		out = append(out, found...)
	}
	return out, nil
}
