// Package internal_test holds the architecture as a test: which package may
// import which (the layer table below), where SQL drivers and store backends
// may be imported, and that every package says what it owns in a package
// comment. A new package fails this test until it is placed in the table.
package internal_test

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers places every package under internal/ (by its path below internal/).
// A package imports only internal packages from layers strictly below its
// own; same-layer imports are forbidden except those in sameLayer.
var layers = map[string]int{
	"config": 0, "fhir": 0, "nhsnumber": 0, "hl7": 0, "mllp": 0, "shareddata": 0,
	"fhir/gen": 0, // the code generator behind fhir/r4_gen.go (go run, not imported)

	"v2fhir": 1, "search": 1, "fhirpath": 1, "access": 1, "synthetic": 1, "mpi/match": 1,
	"search/gen": 1, // the code generator behind search/r4_params_gen.go (go run, not imported)

	"store": 2, "store/sqlstore": 2, "store/sqlite": 2, "store/postgres": 2, "store/storetest": 2,

	"audit": 3, "mpi": 3, "queue": 3,

	"ingest": 4, "monitor": 4, "population": 4,

	"fhirapi": 5, "web": 5,

	"server": 6, "server/servertest": 6, "fhirimport": 6,

	"bench": 7, // the load generator starts whole servers and imports

	"cli": 8,
}

// sameLayer lists the only same-layer imports allowed: importer -> importees.
var sameLayer = map[string][]string{
	"store/sqlite":      {"store", "store/sqlstore"},
	"store/postgres":    {"store", "store/sqlstore"},
	"store/sqlstore":    {"store"},
	"fhir":              {"nhsnumber"}, // the UK Core NHS number rule
	"search":            {"fhirpath"},  // search parameters are FHIRPath expressions
	"store/storetest":   {"store"},
	"server/servertest": {"server"},
}

// backendImporters may import the store backends (tests may too).
var backendImporters = []string{"server", "server/servertest", "bench", "cli"}

var backends = []string{"store/sqlite", "store/postgres"}

// sqlDriverPrefixes are the imports only packages under internal/store/ may use.
var sqlDriverPrefixes = []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx"}

// mainImports is all cmd/carerecord may import from outside the standard library.
var mainImports = map[string][]string{"cmd/carerecord": {"internal/cli"}}

// goFile is one non-test Go file: where it is and what it imports.
type goFile struct {
	pkg     string // package directory relative to the module root, e.g. internal/fhirapi
	name    string // file path relative to the module root
	pkgName string // the package clause
	doc     string // the package comment, "" if none
	imports []importRef
}

type importRef struct {
	path string
	line int
}

// checkFile applies every import rule to one file and returns one message
// per broken rule, each naming the file, line and rule.
func checkFile(module string, f goFile) []string {
	var errs []string
	fail := func(imp importRef, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: imports %q: %s", f.name, imp.line, imp.path, fmt.Sprintf(format, args...)))
	}
	inCmd := strings.HasPrefix(f.pkg, "cmd/")
	rel, inInternal := strings.CutPrefix(f.pkg, "internal/")
	layer, placed := layers[rel]
	switch {
	case inCmd:
		if _, ok := mainImports[f.pkg]; !ok {
			return []string{fmt.Sprintf("%s: package %s is not in the deps_test table: place it deliberately", f.name, f.pkg)}
		}
	case !inInternal || !placed:
		return []string{fmt.Sprintf("%s: package %s is not in the layer table of internal/deps_test.go: place it deliberately", f.name, f.pkg)}
	}
	for _, imp := range f.imports {
		if slices.ContainsFunc(sqlDriverPrefixes, func(p string) bool { return imp.path == p || strings.HasPrefix(imp.path, p+"/") }) &&
			!strings.HasPrefix(f.pkg, "internal/store/") {
			fail(imp, "only packages under internal/store/ may import a SQL driver or database/sql")
		}
		if inCmd {
			if !isStd(module, imp.path) && !slices.Contains(mainImports[f.pkg], strings.TrimPrefix(imp.path, module+"/")) {
				fail(imp, "%s may import only %v outside the standard library", f.pkg, mainImports[f.pkg])
			}
			continue
		}
		target, ok := strings.CutPrefix(imp.path, module+"/")
		if !ok {
			continue // standard library or a third-party module
		}
		trel, ok := strings.CutPrefix(target, "internal/")
		if !ok {
			fail(imp, "internal packages may import only internal packages of the module")
			continue
		}
		tlayer, ok := layers[trel]
		switch {
		case !ok:
			fail(imp, "%s is not in the layer table", trel)
		case slices.Contains(backends, trel) && !slices.Contains(backendImporters, rel):
			fail(imp, "only %v may import a store backend; depend on package store instead", backendImporters)
		case tlayer == layer && !slices.Contains(sameLayer[rel], trel):
			fail(imp, "%s and %s are both layer %d and may not import each other", rel, trel, layer)
		case tlayer > layer:
			fail(imp, "%s (layer %d) may not import %s from a higher layer (%d)", rel, layer, trel, tlayer)
		}
	}
	return errs
}

// checkDoc checks a package's comment: "Package <name> ..." or, for a
// command, "Command <dir> ...". docs holds the comment of every file that has
// one.
func checkDoc(pkg, pkgName string, docs []string) string {
	want := "Package " + pkgName + " "
	if pkgName == "main" {
		want = "Command " + path.Base(pkg) + " "
	}
	for _, d := range docs {
		if strings.HasPrefix(strings.ReplaceAll(d, "\n", " "), want) {
			return ""
		}
	}
	if len(docs) == 0 {
		return fmt.Sprintf("%s: no package comment; one file must start with %q saying what the package owns, its contract and who may import it", pkg, want+"...")
	}
	return fmt.Sprintf("%s: package comment must start with %q, found %q", pkg, want, firstLine(docs[0]))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// isStd reports whether an import path is in the standard library: not in
// the module, and its first element has no dot.
func isStd(module, p string) bool {
	if p == module || strings.HasPrefix(p, module+"/") {
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

func TestLayers(t *testing.T) {
	root, module := moduleRoot(t)
	files := loadFiles(t, root)
	checked := 0
	for _, f := range files {
		for _, msg := range checkFile(module, f) {
			t.Error(msg)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("found no Go files under internal/ and cmd/")
	}
	t.Logf("checked the imports of %d files", checked)
}

func TestPackageDocs(t *testing.T) {
	root, _ := moduleRoot(t)
	type pkgInfo struct {
		name string
		docs []string
	}
	pkgs := map[string]*pkgInfo{}
	for _, f := range loadFiles(t, root) {
		p := pkgs[f.pkg]
		if p == nil {
			p = &pkgInfo{name: f.pkgName}
			pkgs[f.pkg] = p
		}
		if f.doc != "" {
			p.docs = append(p.docs, f.doc)
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(pkgs)) {
		if msg := checkDoc(dir, pkgs[dir].name, pkgs[dir].docs); msg != "" {
			t.Error(msg)
		}
	}
}

// moduleRoot walks up from the working directory to go.mod and returns the
// directory and the module path.
func moduleRoot(t *testing.T) (string, string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					mod := strings.TrimSpace(rest)
					if uq, err := strconv.Unquote(mod); err == nil {
						mod = uq
					}
					return dir, mod
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// loadFiles parses the imports and package comment of every non-test Go
// file under internal/ and cmd/, skipping testdata, folders the go tool
// ignores (leading . or _) and files built only with the tag "ignore".
func loadFiles(t *testing.T, root string) []goFile {
	t.Helper()
	var out []goFile
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == filepath.Join(root, top) {
					return fs.SkipDir
				}
				return err
			}
			if d.IsDir() {
				if n := d.Name(); p != filepath.Join(root, top) && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				return fmt.Errorf("parse: %w", err)
			}
			if ignored(f) {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			gf := goFile{pkg: path.Dir(rel), name: rel, pkgName: f.Name.Name}
			if f.Doc != nil {
				gf.doc = f.Doc.Text()
			}
			for _, imp := range f.Imports {
				ip, _ := strconv.Unquote(imp.Path.Value)
				gf.imports = append(gf.imports, importRef{ip, fset.Position(imp.Pos()).Line})
			}
			out = append(out, gf)
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", top, err)
		}
	}
	return out
}

// ignored reports whether a file is built only with the tag "ignore" (a go
// run script, not part of any package).
func ignored(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				continue
			}
			if requires(expr, "ignore") {
				return true
			}
		}
	}
	return false
}

// requires reports whether a build constraint can hold only when tag is set.
func requires(x constraint.Expr, tag string) bool {
	switch x := x.(type) {
	case *constraint.TagExpr:
		return x.Tag == tag
	case *constraint.AndExpr:
		return requires(x.X, tag) || requires(x.Y, tag)
	case *constraint.OrExpr:
		return requires(x.X, tag) && requires(x.Y, tag)
	}
	return false // a negation never requires a tag to be set
}
