package fhir

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// addSeeds adds every testdata resource (good and bad) to the corpus.
func addSeeds(f *testing.F, add func([]byte)) {
	files, _ := filepath.Glob("testdata/*/*.json")
	if len(files) == 0 {
		f.Fatal("no testdata seeds")
	}
	for _, path := range files {
		add(readFile(f, path))
	}
}

var fuzzTime = time.Date(2026, 11, 23, 9, 0, 0, 123_000_000, time.UTC)

// FuzzValidate: Validate never panics; an accepted body agrees with Peek,
// still validates after SetMeta (same type, new id), and is unchanged by
// an identity RewriteReferences.
func FuzzValidate(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := Validate(body)
		if err != nil {
			var ferr *Error
			if !errors.As(err, &ferr) || len(ferr.Issues) == 0 || len(ferr.Issues) > maxIssues {
				t.Fatalf("Validate error %v is not an *Error with 1..%d issues", err, maxIssues)
			}
			return
		}
		if p, err := Peek(body); err != nil || p != h {
			t.Fatalf("Peek = %+v, %v; Validate = %+v", p, err, h)
		}
		out, err := SetMeta(body, "fuzz-1", 7, fuzzTime)
		if err != nil {
			t.Fatalf("SetMeta of a valid resource: %v", err)
		}
		h2, err := Validate(out)
		if err != nil || h2.ResourceType != h.ResourceType || h2.ID != "fuzz-1" {
			t.Fatalf("after SetMeta: %+v, %v (before %+v)\n%s", h2, err, h, out)
		}
		same, err := RewriteReferences(body, func(s string) (string, error) { return s, nil })
		if err != nil || string(same) != string(body) {
			t.Fatalf("identity RewriteReferences changed the body: %v", err)
		}
		_ = Identifiers(body)
	})
}

// FuzzSetMeta: SetMeta never panics, and on success writes a single JSON
// object whose id and meta are set and whose other members keep their order.
func FuzzSetMeta(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b, "id-1", int64(1)) })
	f.Fuzz(func(t *testing.T, body []byte, id string, version int64) {
		out, err := SetMeta(body, id, version, fuzzTime)
		if err != nil {
			if out != nil {
				t.Fatal("output with an error")
			}
			return
		}
		if !jsontext.Value(out).IsValid(jsontext.AllowDuplicateNames(true)) {
			t.Fatalf("invalid JSON output %q", out)
		}
		before, after := memberNames(body), memberNames(out)
		if !slices.Equal(without(before, "id", "meta"), without(after, "id", "meta")) {
			t.Fatalf("member order changed: %q -> %q", before, after)
		}
		var gotID, gotVersion string
		_ = topMembers(out, func(name []byte, d *jsontext.Decoder) (bool, error) {
			switch string(name) {
			case "id":
				gotID, _, _ = readString(d)
			case "meta":
				_ = objectMembers(d, func(name []byte) error {
					if string(name) == "versionId" {
						gotVersion, _, _ = readString(d)
						return nil
					}
					return d.SkipValue()
				})
			default:
				return true, d.SkipValue()
			}
			return true, nil
		})
		if gotID != id || gotVersion != strconv.FormatInt(version, 10) {
			t.Fatalf("id %q version %q, want %q %d", gotID, gotVersion, id, version)
		}
	})
}

// memberNames lists the top-level member names of body (nil if it is not
// a JSON object).
func memberNames(body []byte) []string {
	var names []string
	err := topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		names = append(names, string(name))
		return true, d.SkipValue()
	})
	if err != nil {
		return nil
	}
	return names
}

func without(names []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(drop, n) })
}
