package fhirapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// An export job writes its types one after another. A type is read from
// the store a page at a time, each page written through a buffered file
// and dropped, so memory stays flat whatever the size of the store. What
// the job wants of a type is a list of selections, each an AND of clauses:
// membership (in some existing Patient's compartment; in the compartment
// of one batch of a Group's members), one _typeFilter query, _since. A
// resource is written when any selection matches it, once.
//
//   - System and patient level (with store.Scanner): the type's current
//     resources in id order, _since applied by the store; when there are
//     selections each page keeps the resources one of them matches (a
//     search restricted to the page's ids). Linear in the type's size.
//   - Group level (and stores without Scanner): the Searcher's pages of
//     each selection in turn, driven by the members' references. A
//     resource that an earlier selection matched is left out (each page
//     of a later selection is checked against the earlier ones).
//
// Nothing changed after the job's transactionTime is written (the next
// export, with _since set to it, has those changes).

// exportUnionTerms bounds the conditions of one OR-list an export builds
// (references to a batch of Group members, the ids of a page): the store
// may run each condition as one SELECT of a compound UNION, and SQLite
// allows 500 of those. A variable so that tests can make batches small.
var exportUnionTerms = 400

// run writes every type of job.
func (ex *exporter) run(ctx context.Context, job *exportJob) error {
	srch, err := ex.a.searcher()
	if err != nil {
		return err
	}
	for i, typ := range job.types {
		job.mu.Lock()
		job.progress.current = i
		job.mu.Unlock()
		if err := ex.a.exportType(ctx, srch, job, typ); err != nil {
			return fmt.Errorf("export %s: %w", typ, err)
		}
	}
	return nil
}

// exportType writes the NDJSON files of one type.
func (a *api) exportType(ctx context.Context, srch store.Searcher, job *exportJob, typ string) error {
	out := &ndjsonOut{dir: job.dir, typ: typ, maxBytes: job.maxBytes}
	emit := func(rows []store.Resource) error {
		var n int64
		for i := range rows {
			if rows[i].Deleted || rows[i].LastUpdated.After(job.txTime) {
				continue
			}
			if err := out.write(rows[i].Body); err != nil {
				return err
			}
			n++
		}
		job.mu.Lock()
		job.progress.written += n
		job.mu.Unlock()
		return ctx.Err()
	}
	sels, err := a.exportSelections(job, typ)
	if err == nil {
		err = a.readType(ctx, srch, job, typ, sels, emit)
	}
	files, cerr := out.close()
	job.mu.Lock()
	job.progress.files = append(job.progress.files, files...)
	job.mu.Unlock()
	return errors.Join(err, cerr)
}

// readType passes the resources of typ that sels select (all when sels is
// nil) to emit, a page at a time.
func (a *api) readType(ctx context.Context, srch store.Searcher, job *exportJob, typ string, sels [][]search.Clause, emit func([]store.Resource) error) error {
	sc, canScan := a.st.(store.Scanner)
	switch {
	case sels != nil && len(sels) == 0:
		return nil // nothing of the type can be selected
	case canScan && job.level != exportGroup && sels == nil:
		return walkScan(ctx, sc, typ, job.since, emit)
	case canScan && job.level != exportGroup:
		return walkScan(ctx, sc, typ, job.since, func(rows []store.Resource) error {
			matched, err := a.matchedIDs(ctx, srch, typ, sels, rows)
			if err != nil {
				return err
			}
			return emit(slices.DeleteFunc(rows, func(r store.Resource) bool { return !matched[r.ID] }))
		})
	case sels == nil:
		var err error
		if sels, err = a.withSince(typ, job.since, [][]search.Clause{nil}); err != nil {
			return err
		}
	}
	return a.walkSelections(ctx, srch, typ, sels, emit)
}

// exportSelections are the searches that select the type's resources, in
// order; nil when every current resource of the type is wanted (a scan),
// empty when none can be.
func (a *api) exportSelections(job *exportJob, typ string) ([][]search.Clause, error) {
	var members [][]search.Clause
	switch {
	case job.level == exportGroup:
		size := max(1, exportUnionTerms/max(1, len(search.PatientCompartment(typ))))
		for batch := range slices.Chunk(job.members, size) {
			cl, err := a.compartmentClause(typ, batch)
			if err != nil {
				return nil, err
			}
			if len(cl) > 0 {
				members = append(members, []search.Clause{cl})
			}
		}
	case job.level == exportPatient && typ != "Patient":
		cl, err := a.anyPatientClause(typ)
		if err != nil {
			return nil, err
		}
		if len(cl) > 0 {
			members = append(members, []search.Clause{cl})
		}
	default:
		if len(job.filters[typ]) == 0 {
			return nil, nil
		}
		members = [][]search.Clause{nil}
	}
	if len(members) == 0 {
		return [][]search.Clause{}, nil
	}
	filters := [][]search.Clause{nil}
	if fs := job.filters[typ]; len(fs) > 0 {
		filters = filters[:0]
		for _, f := range fs {
			and, err := a.clauses(typ, f)
			if err != nil {
				return nil, err
			}
			filters = append(filters, and)
		}
	}
	var sels [][]search.Clause
	for _, m := range members {
		for _, f := range filters {
			sels = append(sels, slices.Concat(m, f))
		}
	}
	return a.withSince(typ, job.since, sels)
}

// withSince adds _lastUpdated >= since to each selection.
func (a *api) withSince(typ string, since time.Time, sels [][]search.Clause) ([][]search.Clause, error) {
	if since.IsZero() {
		return sels, nil
	}
	cl, err := a.sinceClause(typ, since)
	if err != nil {
		return nil, err
	}
	for i := range sels {
		sels[i] = append(slices.Clip(sels[i]), cl)
	}
	return sels, nil
}

// walkScan reads every current resource of typ changed since since.
func walkScan(ctx context.Context, sc store.Scanner, typ string, since time.Time, emit func([]store.Resource) error) error {
	after := ""
	for {
		rows, err := sc.Scan(ctx, typ, after, since, exportPageSize)
		if err != nil {
			return err
		}
		if err := emit(rows); err != nil {
			return err
		}
		if len(rows) < exportPageSize {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// walkSelections reads the matches of each selection, page by page,
// leaving out those an earlier selection matched.
func (a *api) walkSelections(ctx context.Context, srch store.Searcher, typ string, sels [][]search.Clause, emit func([]store.Resource) error) error {
	opts := store.SearchOptions{MaxCount: exportPageSize, Registry: a.reg}
	for k, and := range sels {
		q := &search.Query{ResourceType: typ, And: and, Count: exportPageSize, Total: search.TotalNone}
		for {
			page, err := srch.Search(ctx, q, opts)
			if err != nil {
				return err
			}
			rows := page.Matches
			if k > 0 && len(rows) > 0 {
				if rows, err = a.dropEarlier(ctx, srch, typ, sels[:k], rows); err != nil {
					return err
				}
			}
			if err := emit(rows); err != nil {
				return err
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return nil
}

// dropEarlier removes from rows those an earlier selection matches.
func (a *api) dropEarlier(ctx context.Context, srch store.Searcher, typ string, earlier [][]search.Clause, rows []store.Resource) ([]store.Resource, error) {
	matched, err := a.matchedIDs(ctx, srch, typ, earlier, rows)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rows, func(r store.Resource) bool { return matched[r.ID] }), nil
}

// matchedIDs returns the ids of the rows that some selection matches: one
// search per selection, restricted to the rows' ids.
func (a *api) matchedIDs(ctx context.Context, srch store.Searcher, typ string, sels [][]search.Clause, rows []store.Resource) (map[string]bool, error) {
	matched := map[string]bool{}
	if len(rows) == 0 {
		return matched, nil
	}
	for chunk := range slices.Chunk(rows, exportUnionTerms) {
		ids := make([]string, len(chunk))
		for i := range chunk {
			ids[i] = escapeValue(chunk[i].ID)
		}
		byID, err := a.clause(typ, "_id", strings.Join(ids, ","))
		if err != nil {
			return nil, err
		}
		opts := store.SearchOptions{MaxCount: len(chunk), Registry: a.reg}
		for _, and := range sels {
			q := &search.Query{ResourceType: typ, And: slices.Concat([]search.Clause{byID}, and), Count: len(chunk), Total: search.TotalNone}
			page, err := srch.Search(ctx, q, opts)
			if err != nil {
				return nil, err
			}
			for _, m := range page.Matches {
				matched[m.ID] = true
			}
		}
	}
	return matched, nil
}

// ndjsonOut writes the NDJSON files of one type: Type-1.ndjson, and
// Type-2.ndjson... once a file has reached maxBytes. A file is created
// only when it has a resource to hold.
type ndjsonOut struct {
	dir, typ string
	maxBytes int64
	f        *os.File
	w        *bufio.Writer
	size     int64
	files    []exportFile
	line     bytes.Buffer // a body with line breaks, compacted
}

func (o *ndjsonOut) write(body []byte) error {
	if o.f == nil || o.size >= o.maxBytes {
		if err := o.open(); err != nil {
			return err
		}
	}
	if bytes.IndexByte(body, '\n') >= 0 {
		o.line.Reset()
		if err := json.Compact(&o.line, body); err != nil {
			return fmt.Errorf("compact %s body: %w", o.typ, err)
		}
		body = o.line.Bytes()
	}
	o.w.Write(body)
	if err := o.w.WriteByte('\n'); err != nil { // bufio keeps the first write error
		return fmt.Errorf("write %s: %w", o.typ, err)
	}
	o.size += int64(len(body)) + 1
	o.files[len(o.files)-1].count++
	return nil
}

func (o *ndjsonOut) open() error {
	if err := o.closeFile(); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%d.ndjson", o.typ, len(o.files)+1)
	f, err := os.OpenFile(filepath.Join(o.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	o.f, o.size = f, 0
	if o.w == nil {
		o.w = bufio.NewWriterSize(f, 256<<10)
	} else {
		o.w.Reset(f)
	}
	o.files = append(o.files, exportFile{typ: o.typ, name: name})
	return nil
}

func (o *ndjsonOut) closeFile() error {
	if o.f == nil {
		return nil
	}
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	return err
}

// close finishes the last file and returns the files written.
func (o *ndjsonOut) close() ([]exportFile, error) {
	err := o.closeFile()
	return o.files, err
}
