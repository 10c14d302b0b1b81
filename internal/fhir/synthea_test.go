package fhir

import (
	"bytes"
	"carerecord/internal/shareddata"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

type syntheaBundle struct {
	name string
	body []byte
}

type syntheaResource struct {
	bundle string
	index  int
	body   []byte // compact JSON, member order kept
}

var loadSynthea = sync.OnceValues(func() ([]syntheaBundle, []syntheaResource) {
	files, _ := filepath.Glob(filepath.Join(shareddata.Path("testdata", "synthea", "bundles"), "*.json.gz"))
	var bundles []syntheaBundle
	var resources []syntheaResource
	for _, f := range files {
		body, err := gunzip(f)
		if err != nil {
			continue
		}
		bundles = append(bundles, syntheaBundle{filepath.Base(f), body})
		for i, r := range bundleResources(body) {
			resources = append(resources, syntheaResource{filepath.Base(f), i, r})
		}
	}
	return bundles, resources
})

// bundleResources returns the entry resources of a Bundle as compact JSON.
func bundleResources(body []byte) [][]byte {
	var out [][]byte
	_ = topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		if string(name) != "entry" || d.PeekKind() != '[' {
			return true, d.SkipValue()
		}
		if _, err := d.ReadToken(); err != nil {
			return false, err
		}
		for d.PeekKind() == '{' {
			err := objectMembers(d, func(name []byte) error {
				if string(name) != "resource" {
					return d.SkipValue()
				}
				v, err := d.ReadValue()
				if err != nil {
					return err
				}
				c := v.Clone()
				if err := c.Compact(); err != nil {
					return err
				}
				out = append(out, c)
				return nil
			})
			if err != nil {
				return false, err
			}
		}
		_, err := d.ReadToken()
		return true, err
	})
	return out
}

func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// synthea returns the Synthea bundles and their resources, skipping the
// test when shared/testdata is absent.
func synthea(tb testing.TB) ([]syntheaBundle, []syntheaResource) {
	tb.Helper()
	bundles, resources := loadSynthea()
	if len(bundles) == 0 {
		tb.Skip("Synthea bundles not found under ../shared/testdata/synthea/bundles")
	}
	return bundles, resources
}

// TestSyntheaBundlesValidate checks every Synthea transaction Bundle, and
// every resource in it on its own. All of them are valid R4.
func TestSyntheaBundlesValidate(t *testing.T) {
	bundles, resources := synthea(t)
	for _, b := range bundles {
		t.Run(b.name, func(t *testing.T) {
			h, err := Validate(b.body)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if h.ResourceType != "Bundle" {
				t.Errorf("ResourceType = %q, want Bundle", h.ResourceType)
			}
		})
	}
	failed := 0
	for _, r := range resources {
		h, err := Validate(r.body)
		if err != nil {
			if failed++; failed <= 10 {
				t.Errorf("%s entry %d: %v", r.bundle, r.index, err)
			}
			continue
		}
		p, err := Peek(r.body)
		if err != nil || p != h {
			t.Errorf("%s entry %d: Peek = %+v, %v; Validate header %+v", r.bundle, r.index, p, err, h)
		}
	}
	t.Logf("%d bundles, %d resources", len(bundles), len(resources))
}

// BenchmarkValidate measures Validate over every Synthea resource (compact
// JSON, as stored), reporting resources/s beside MB/s.
func BenchmarkValidate(b *testing.B) {
	_, resources := synthea(b)
	var size int64
	for _, r := range resources {
		size += int64(len(r.body))
	}
	b.SetBytes(size / int64(len(resources)))
	b.ReportAllocs()
	cpu0, unlock := threadCPU()
	defer unlock()
	i := 0
	for b.Loop() {
		if _, err := Validate(resources[i].body); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(resources) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "resources/s")
	reportCPU(b, cpu0, float64(b.N), float64(size)/float64(len(resources)))
}

// reportCPU reports resources and MB per second of the benchmark
// goroutine's own thread CPU time (see threadCPU).
func reportCPU(b *testing.B, cpu0 time.Duration, resources, bytesPer float64) {
	cpu1, _ := threadCPU()
	if cpu0 == 0 || cpu1 <= cpu0 {
		return
	}
	sec := (cpu1 - cpu0).Seconds()
	b.ReportMetric(resources/sec, "resources/cpu-s")
	b.ReportMetric(resources*bytesPer/sec/1e6, "MB/cpu-s")
}

// BenchmarkValidateBundle measures Validate over whole pretty-printed
// transaction Bundles, as a client sends them.
func BenchmarkValidateBundle(b *testing.B) {
	bundles, resources := synthea(b)
	var size int64
	for _, bu := range bundles {
		size += int64(len(bu.body))
	}
	b.SetBytes(size / int64(len(bundles)))
	b.ReportAllocs()
	cpu0, unlock := threadCPU()
	defer unlock()
	i := 0
	for b.Loop() {
		if _, err := Validate(bundles[i].body); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(bundles) {
			i = 0
		}
	}
	perBundle := float64(len(resources)) / float64(len(bundles))
	b.ReportMetric(perBundle*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
	reportCPU(b, cpu0, perBundle*float64(b.N), float64(size)/float64(len(bundles))/perBundle)
}

// memberNameOffsets returns the byte offsets of the closing quote of every
// object member name in body, with the unquoted names.
func memberNameOffsets(body []byte) (offs []int, names []string) {
	d := jsontext.NewDecoder(bytes.NewReader(body))
	for {
		k := d.PeekKind()
		if k == 0 {
			return offs, names
		}
		kind, n := d.StackIndex(d.StackDepth())
		if kind == '{' && n%2 == 0 && k == '"' {
			raw, _ := d.ReadValue()
			offs = append(offs, int(d.InputOffset())-1)
			names = append(names, string(raw[1:len(raw)-1]))
			continue
		}
		if k == '{' || k == '[' || k == '}' || k == ']' {
			_, _ = d.ReadToken()
		} else {
			_, _ = d.ReadValue()
		}
	}
}

// TestSyntheaMutations renames one member of Synthea resources at a time:
// wherever it sits, Validate must report the new name as unknown. This
// checks that the walk reaches every element of real data.
func TestSyntheaMutations(t *testing.T) {
	_, resources := synthea(t)
	checked := 0
	for i := 0; i < len(resources); i += 97 {
		body := resources[i].body
		offs, names := memberNameOffsets(body)
		for j := i % 5; j < len(offs); j += 5 {
			if names[j] == "resourceType" {
				continue
			}
			mutated := slices.Concat(body[:offs[j]], []byte("Zz"), body[offs[j]:])
			_, err := Validate(mutated)
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("resource %d: renaming %s was accepted", i, names[j])
			}
			found := false
			for _, is := range ferr.Issues {
				found = found || (is.Code == "structure" && len(is.Expression) == 1 &&
					strings.HasSuffix(is.Expression[0], "."+names[j]+"Zz"))
			}
			if !found {
				t.Errorf("resource %d: renaming %s gave %v", i, names[j], err)
			}
			checked++
		}
	}
	if checked < 500 {
		t.Errorf("only %d mutations checked", checked)
	}
}

func BenchmarkPeek(b *testing.B) {
	_, resources := synthea(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Peek(resources[i].body); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % len(resources)
	}
}

func BenchmarkSetMeta(b *testing.B) {
	_, resources := synthea(b)
	when := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := SetMeta(resources[i].body, "bench-1", int64(i+1), when); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % len(resources)
	}
}
