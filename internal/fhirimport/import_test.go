package fhirimport

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if strings.HasSuffix(path, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func patient(id, nhs string) string {
	idField := ""
	if id != "" {
		idField = fmt.Sprintf(`"id":%q,`, id)
	}
	return fmt.Sprintf(`{"resourceType":"Patient",%s"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],"name":[{"family":"Test","given":["Sam"]}]}`, idField, nhs)
}

func mustRead(t *testing.T, st store.Store, typ, id string) *store.Resource {
	t.Helper()
	r, err := st.Read(context.Background(), typ, id)
	if err != nil {
		t.Fatalf("read %s/%s: %v", typ, id, err)
	}
	return r
}

// A folder with every supported kind of file, one of them broken: the
// broken one is reported and everything else is loaded.
func TestImportFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a-transaction.json"), []byte(`{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:0b0e5b9e-6a53-4a55-8d0c-1d1a3f5d0a01","resource":`+patient("", "9990000018")+`,"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"urn:uuid:0b0e5b9e-6a53-4a55-8d0c-1d1a3f5d0a01"}},"request":{"method":"POST","url":"Observation"}}]}`))
	write(t, filepath.Join(dir, "b-collection.json.gz"), []byte(`{"resourceType":"Bundle","type":"collection","entry":[
	 {"fullUrl":"http://x/Patient/p2","resource":`+patient("p2", "9990000026")+`},
	 {"resource":{"resourceType":"Organization","id":"o1","name":"Test GP"}}]}`))
	write(t, filepath.Join(dir, "sub", "c.ndjson"), []byte(patient("p3", "9990000034")+"\n\n"+patient("p4", "9990000042")+"\n"))
	write(t, filepath.Join(dir, "d-single.json"), []byte(patient("p5", "9990000050")))
	write(t, filepath.Join(dir, "e-broken.json"), []byte(`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"bad","birthDate":"yesterday"},"request":{"method":"PUT","url":"Patient/bad"}}]}`))
	write(t, filepath.Join(dir, "notes.txt"), []byte("not FHIR"))

	st := openStore(t)
	sum, err := New(st, Options{}).Import(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 5 {
		t.Errorf("files = %d, want 5 (the .txt is not a FHIR file)", sum.Files)
	}
	if sum.Resources != 7 {
		t.Errorf("resources = %d, want 7", sum.Resources)
	}
	if len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Path, "e-broken.json") {
		t.Fatalf("failed = %v, want only e-broken.json", sum.Failed)
	}
	if !strings.Contains(sum.Failed[0].Err.Error(), "birthDate") {
		t.Errorf("failure does not say where: %v", sum.Failed[0].Err)
	}
	for _, id := range []string{"p2", "p3", "p4", "p5"} {
		mustRead(t, st, "Patient", id)
	}
	mustRead(t, st, "Organization", "o1")
	if _, err := st.Read(context.Background(), "Patient", "bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("broken file's resource: err = %v, want not found", err)
	}
	ids, err := st.FindByToken(context.Background(), "Patient", "identifier", "https://fhir.nhs.uk/Id/nhs-number", "9990000018")
	if err != nil || len(ids) != 1 {
		t.Fatalf("transaction patient by NHS number: %v %v", ids, err)
	}

	// Importing again changes nothing but versions: PUT by id is idempotent in content.
	sum2, err := New(st, Options{}).Import(context.Background(), filepath.Join(dir, "sub"))
	if err != nil || sum2.Resources != 2 || len(sum2.Failed) != 0 {
		t.Fatalf("re-import: %+v %v", sum2, err)
	}
	if got := mustRead(t, st, "Patient", "p3").Version; got != 2 {
		t.Errorf("re-imported p3 version = %d, want 2", got)
	}
}

// An NDJSON file is loaded in chunks: a bad line fails only its chunk.
func TestImportNDJSONChunks(t *testing.T) {
	var buf bytes.Buffer
	n := ndjsonChunk + 10
	for i := range n {
		if i == ndjsonChunk+3 {
			buf.WriteString(`{"resourceType":"Patient","id":"broken","birthDate":"someday"}` + "\n")
			continue
		}
		fmt.Fprintf(&buf, `{"resourceType":"Patient","id":"n%d","active":true}`+"\n", i)
	}
	path := filepath.Join(t.TempDir(), "p.ndjson.gz")
	write(t, path, buf.Bytes())
	st := openStore(t)
	sum, err := New(st, Options{Workers: 1}).Import(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resources != int64(ndjsonChunk) {
		t.Errorf("resources = %d, want the first chunk's %d", sum.Resources, ndjsonChunk)
	}
	if len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Path, fmt.Sprintf("lines %d-%d", ndjsonChunk+1, n)) {
		t.Fatalf("failed = %v", sum.Failed)
	}
	mustRead(t, st, "Patient", "n0")
	if _, err := st.Read(context.Background(), "Patient", fmt.Sprintf("n%d", ndjsonChunk+1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second chunk partly written: %v", err)
	}
}

func TestImportBadPaths(t *testing.T) {
	st := openStore(t)
	if _, err := New(st, Options{}).Import(context.Background(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing path accepted")
	}
	p := filepath.Join(t.TempDir(), "x.csv")
	write(t, p, []byte("a,b"))
	if _, err := New(st, Options{}).Import(context.Background(), p); err == nil {
		t.Error(".csv accepted")
	}
}
