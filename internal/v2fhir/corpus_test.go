package v2fhir

import (
	"carerecord/internal/shareddata"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"carerecord/internal/hl7"
)

// corpus is the shared folder of public sample messages (not in this
// repository: the UCLH ones are GPL-3.0).
var corpus = shareddata.Path("testdata", "hl7v2")

// corpusFeed configures a feed per source folder: the UCLH (Epic) feed puts
// the NHS number in the PID-3 repetition with type code HN.
func corpusFeed(t testing.TB, path string) Feed {
	f := Feed{Name: "corpus", Organisation: "RZZ", Location: london(t)}
	if strings.Contains(filepath.ToSlash(path), "uclh-emap/") {
		f.Name, f.Organisation = "uclh", "RRV"
		f.NHSNumber = NHSNumberRule{TypeCodes: []string{"HN", "NH"}}
	}
	return f
}

// mapFile maps every message of one file; a panic is reported as an error.
// A message that does not parse is passed to fn as nil with the parser's
// error.
func mapFile(t *testing.T, path string, fn func(msg *hl7.Message, res *Result, err error)) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := hl7.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if sc.Control() || len(strings.TrimSpace(string(sc.Bytes()))) == 0 {
			continue
		}
		msg := sc.Message()
		if msg == nil {
			fn(nil, nil, sc.ItemErr())
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: Map panicked: %v", path, r)
				}
			}()
			res, err := Map(msg, corpusFeed(t, path))
			fn(msg, res, err)
		}()
	}
}

func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("no shared corpus at", corpus)
	}
	counts := map[string]int{}
	err := filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".tsv") || strings.HasSuffix(path, ".pdf") {
			return err
		}
		mapFile(t, path, func(msg *hl7.Message, res *Result, err error) {
			if msg == nil {
				// Counted, not hidden: the engine dead-letters it with the
				// parser's reason.
				var he *hl7.Error
				if !errors.As(err, &he) {
					t.Errorf("%s: a message does not parse, and the error does not say where: %v", path, err)
					return
				}
				counts[fmt.Sprintf("%-8s parse error: %s", "?", he.Detail().Text)]++
				return
			}
			typ := msg.Type().Code + "^" + msg.Type().Event
			var e *Error
			switch {
			case errors.As(err, &e):
				counts[fmt.Sprintf("%-8s error %s: %v", typ, e.Location, e.Err)]++
				if strings.Contains(err.Error(), "9999999999") {
					t.Errorf("%s: error holds an identifier", path)
				}
			case err != nil:
				t.Errorf("%s: error not an *Error: %v", path, err)
			case res.Unsupported:
				counts[fmt.Sprintf("%-8s unsupported", typ)]++
			default:
				counts[fmt.Sprintf("%-8s mapped", typ)]++
				checkValid(t, path, res)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%4d %s", counts[k], k)
	}
}

// TestCorpusCancelAdmit replays UCLH's cancel-admit journey: the A11 marks
// entered-in-error the very Encounter the A01 created.
func TestCorpusCancelAdmit(t *testing.T) {
	dir := filepath.Join(corpus, "uclh-emap/Adt/Location/CancelAdmit")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no shared corpus at", dir)
	}
	encounter := func(file string) Entry {
		var got Entry
		mapFile(t, filepath.Join(dir, file), func(_ *hl7.Message, res *Result, err error) {
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Entries {
				if e.Type == "Encounter" {
					got = e
				}
			}
		})
		return got
	}
	admit, cancel := encounter("01_A01.txt"), encounter("02_A11.txt")
	if admit.ID == "" || admit.ID != cancel.ID {
		t.Fatalf("A01 Encounter %q, A11 Encounter %q: want the same", admit.ID, cancel.ID)
	}
	if admit.Op != OpUpsert || cancel.Op != OpMarkStatus || cancel.Status != "entered-in-error" {
		t.Errorf("A01 %s, A11 %s %s", admit.Op, cancel.Op, cancel.Status)
	}
	if cancel.EventTime <= admit.EventTime {
		t.Errorf("A11 event time %s not after A01 %s", cancel.EventTime, admit.EventTime)
	}
}
