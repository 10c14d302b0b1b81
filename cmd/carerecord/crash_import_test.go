package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/nhsnumber"
)

// The generated import: NDJSON files (each 1000-line chunk one transaction,
// the last chunk of a file short) and Bundle files (each one transaction),
// every resource with a client-chosen id that names its unit.
const (
	importNDJSONFiles = 3
	importNDJSONLines = 10500
	importBundleFiles = 150
	importBundleSize  = 200
	ndjsonChunk       = 1000 // the importer's transaction size for NDJSON
	// The importer takes files in name order: every ndjsonEvery-th file is
	// NDJSON, so that NDJSON files are in flight throughout.
	ndjsonEvery = 60
)

func TestKillMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills the real binary (skipped with -short)")
	}
	binary(t)
	in := filepath.Join(t.TempDir(), "in")
	units, inputBytes := writeImportFiles(t, in)
	total := 0
	for _, u := range units {
		total += u.size
	}
	t.Logf("generated %d resources in %d units (%d MB)", total, len(units), inputBytes>>20)

	dir := t.TempDir()
	t0 := time.Now()
	p := start(t, "import", "--data", dir, "--log-level", "warn", in)
	why := waitMidway(p, dir, total*2/5, inputBytes, 60*time.Second)
	p.kill()
	if why == "" {
		t.Fatalf("import exited (%v) before it was 40%% done, so it could not be killed midway; "+
			"raise the generated resource count. stdout %q stderr:\n%s", p.err, p.stdout, p.stderr)
	}
	t.Logf("SIGKILL after %v, when %s", time.Since(t0).Round(time.Millisecond), why)

	srv, base := serve(t, dir)
	c := newClient(base)
	present := checkUnits(t, c, units, nil)
	srv.kill()
	c.close()
	n := 0
	for _, ok := range present {
		if ok {
			n++
		}
	}
	t.Logf("after the kill %d of %d units are present; NDJSON chunks present: %s", n, len(units), ndjsonMap(units, present))
	if n == 0 || n == len(units) {
		t.Errorf("the kill left %d of %d units: it did not land midway through the import", n, len(units))
	}

	again := time.Now()
	p = start(t, "import", "--data", dir, "--log-level", "warn", in)
	select {
	case <-p.done:
	case <-time.After(120 * time.Second):
		p.kill()
		t.Fatalf("the second import did not finish within 120s; stderr:\n%s", p.stderr)
	}
	if p.err != nil {
		t.Fatalf("the second import failed: %v\nstdout %s\nstderr:\n%s", p.err, p.stdout, p.stderr)
	}
	files := importNDJSONFiles + importBundleFiles
	want := fmt.Sprintf("imported %d resources from %d files", total, files)
	if !strings.Contains(p.stdout.String(), want) || !strings.Contains(p.stdout.String(), "; 0 failed") {
		t.Errorf("the second import printed %q, want a summary line with %q and 0 failed", p.stdout, want)
	}
	t.Logf("the second import took %v", time.Since(again).Round(time.Millisecond))

	_, base = serve(t, dir)
	c = newClient(base)
	defer c.close()
	checkUnits(t, c, units, present)
}

// unit is one transaction of the import: a Bundle file or an NDJSON chunk.
type unit struct {
	name   string // the id prefix of its resources, e.g. n3c14 or b17
	size   int
	sample []byte // one of its resources, as generated
	sKey   string // Type/id of sample
}

// writeImportFiles writes the import folder and returns its units and size.
func writeImportFiles(t *testing.T, dir string) ([]*unit, int64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var (
		units []*unit
		size  int64
	)
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		size += int64(len(data))
	}
	for f := range importNDJSONFiles {
		var buf bytes.Buffer
		var u *unit
		for line := range importNDJSONLines {
			if line%ndjsonChunk == 0 {
				u = &unit{name: fmt.Sprintf("n%dc%d", f, line/ndjsonChunk)}
				units = append(units, u)
			}
			key, body := importResource(u, line%ndjsonChunk, f*importNDJSONLines+line)
			buf.Write(body)
			buf.WriteByte('\n')
			u.size++
			if u.sample == nil {
				u.sample, u.sKey = body, key
			}
		}
		write(fmt.Sprintf("%04d-part.ndjson", f*ndjsonEvery), buf.Bytes())
	}
	for f := range importBundleFiles {
		u := &unit{name: fmt.Sprintf("b%d", f), size: importBundleSize}
		units = append(units, u)
		kind := "transaction"
		if f%2 == 1 {
			kind = "collection"
		}
		var buf bytes.Buffer
		fmt.Fprintf(&buf, `{"resourceType":"Bundle","type":%q,"entry":[`, kind)
		for i := range importBundleSize {
			key, body := importResource(u, i, f*importBundleSize+i)
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"fullUrl":"urn:uuid:%s","resource":%s`, newUUID(), body)
			if kind == "transaction" {
				fmt.Fprintf(&buf, `,"request":{"method":"PUT","url":%q}`, key)
			}
			buf.WriteByte('}')
			if u.sample == nil {
				u.sample, u.sKey = body, key
			}
		}
		buf.WriteString("]}")
		write(fmt.Sprintf("%04d-bundle.json", f+f/(ndjsonEvery-1)+1), buf.Bytes())
	}
	return units, size
}

// importResource is entry i of unit u: every tenth a Patient, the rest its
// Observations. Ids are <unit>-<i>.
func importResource(u *unit, i, n int) (string, []byte) {
	id := fmt.Sprintf("%s-%d", u.name, i)
	if i%10 == 0 {
		return "Patient/" + id, fmt.Appendf(nil, `{"resourceType":"Patient","id":%q,`+
			`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],"gender":"female","birthDate":"1980-02-03"}`,
			id, nhsnumber.Test(n%nhsnumber.TestCount))
	}
	return "Observation/" + id, fmt.Appendf(nil, `{"resourceType":"Observation","id":%q,"status":"final",`+
		`"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/%s-%d"},`+
		`"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		id, u.name, i/10*10, 40+n%100)
}

// waitMidway waits until the import is about 40% done and says how it
// knows: its progress line reports at least resources written, or (should
// that line change) the store in dir has grown to the size of the input. It
// returns "" if the process exits or the time is up first.
func waitMidway(p *proc, dir string, resources int, inputBytes int64, limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && !p.exited() {
		if m := progressResources.FindAllStringSubmatch(p.stderr.String(), -1); m != nil {
			if n, _ := strconv.Atoi(m[len(m)-1][1]); n >= resources {
				return fmt.Sprintf("the progress line said %d resources", n)
			}
		}
		var sum int64
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && !e.IsDir() {
				sum += info.Size()
			}
		}
		if sum >= inputBytes {
			return fmt.Sprintf("the store had grown to %d MB", sum>>20)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ""
}

var progressResources = regexp.MustCompile(`resources (\d+)`)

var importID = regexp.MustCompile(`^(?:Patient|Observation)/((?:n\d+c\d+)|(?:b\d+))-(\d+)$`)

// checkUnits reads the whole _history and checks every unit is all there or
// not there at all, every resource of a unit at one version. With before
// nil (after the kill) every version must be 1. With before set (after the
// second import) every unit must be there, each resource exactly once under
// its id: version 1, or versions 1 and 2 when its unit was already present
// before the second import (a store may or may not make a new version of an
// identical PUT). It returns which units are present.
func checkUnits(t *testing.T, c *client, units []*unit, before map[string]bool) map[string]bool {
	t.Helper()
	start := time.Now()
	rep := newReport()
	defer rep.flush(t)
	byName := map[string]*unit{}
	for _, u := range units {
		byName[u.name] = u
	}
	ctx := context.Background()
	entries := c.systemHistory(ctx, t, false)
	versions := map[string][]int64{}
	count := map[string]int{}
	for _, e := range entries {
		m := importID.FindStringSubmatch(e.key)
		var u *unit
		if m != nil {
			u = byName[m[1]]
		}
		if i, err := strconv.Atoi(m2(m)); u == nil || err != nil || i >= u.size {
			rep.add("phantom write", "_history lists %s, which the import files do not hold", e.key)
			continue
		}
		if len(versions[e.key]) == 0 {
			count[u.name]++
		}
		versions[e.key] = append(versions[e.key], e.version)
	}
	present := map[string]bool{}
	for _, u := range units {
		n := count[u.name]
		present[u.name] = n == u.size
		if n > 0 {
			checkSample(ctx, c, rep, u)
		}
		switch {
		case n != 0 && n != u.size:
			rep.add("partial unit", "unit %s: %d of its %d resources present", u.name, n, u.size)
		case before != nil && n != u.size:
			rep.add("import incomplete", "unit %s: %d of its %d resources present after the import completed", u.name, n, u.size)
		}
	}
	top := map[string]map[int64]int{} // unit -> newest version -> resources at it
	for key, vs := range versions {
		slices.Sort(vs)
		if !slices.Equal(vs, []int64{1}) && !slices.Equal(vs, []int64{1, 2}) {
			rep.add("not exactly once", "%s has versions %v in _history, want [1], or [1 2] after a second import", key, vs)
			continue
		}
		name := importID.FindStringSubmatch(key)[1]
		if top[name] == nil {
			top[name] = map[int64]int{}
		}
		top[name][vs[len(vs)-1]]++
	}
	for name, tops := range top {
		switch {
		case len(tops) > 1:
			rep.add("partial unit", "unit %s: resources at different versions %v (version: count), so one import of it was partial", name, tops)
		case before == nil && tops[1] == 0:
			rep.add("not exactly once", "unit %s was imported once, but its resources are at version 2", name)
		case before != nil && !before[name] && tops[1] == 0:
			rep.add("not exactly once", "unit %s was absent before the second import, yet its resources are at version 2", name)
		}
	}
	t.Logf("_history lists %d versions of %d resources (read and checked in %v)", len(entries), len(versions), time.Since(start).Round(time.Millisecond))
	return present
}

// checkSample reads one resource of a present unit and compares it with
// the one generated.
func checkSample(ctx context.Context, c *client, rep *report, u *unit) {
	resp, err := c.do(ctx, "GET", "/"+u.sKey, nil, "")
	if err != nil || resp.status != 200 {
		rep.add("bad read", "GET %s: %v %s", u.sKey, err, statusOf(resp))
		return
	}
	if err := sameContent(u.sample, resp.body); err != nil {
		rep.add("content changed", "%s: %v", u.sKey, err)
	}
}

// ndjsonMap shows which NDJSON chunks are present, a file at a time: a
// file with both + and - was cut midway.
func ndjsonMap(units []*unit, present map[string]bool) string {
	var b strings.Builder
	for _, u := range units {
		if !strings.HasPrefix(u.name, "n") {
			continue
		}
		if strings.HasSuffix(u.name, "c0") {
			fmt.Fprintf(&b, " %s:", strings.TrimSuffix(u.name, "c0"))
		}
		if present[u.name] {
			b.WriteByte('+')
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func m2(m []string) string {
	if m == nil {
		return ""
	}
	return m[2]
}
