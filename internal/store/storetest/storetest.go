// Package storetest is the conformance suite for store.Store: every backend
// runs Run from its own tests, so they all keep the same contract. It also
// holds the shared benchmark bodies (BenchCreateParallel, BenchRead,
// BenchBulkWrite) each backend runs from its benchmarks.
//
// Only tests and benchmarks import this package.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// Option adjusts Run.
type Option func(*config)

type config struct {
	failStatement func(ctx context.Context, tx store.Tx) error
}

// WithFailingStatement gives the suite a way to make one SQL statement fail
// inside a Write (for sqlstore: sqlstore.ExecTx with a bad statement). The
// suite then checks that a Write whose statement failed commits nothing even
// if its function ignores the error, and that other Writes are unaffected.
func WithFailingStatement(f func(ctx context.Context, tx store.Tx) error) Option {
	return func(c *config) { c.failStatement = f }
}

// Run runs the conformance suite. open must return a new, empty store each
// time it is called; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	newStore := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"CreateReadVRead", testCreateReadVRead},
		{"VersionsIncrement", testVersionsIncrement},
		{"MetaInBody", testMetaInBody},
		{"NotFoundVsGone", testNotFoundVsGone},
		{"DeleteTwice", testDeleteTwice},
		{"Resurrection", testResurrection},
		{"IfMatch", testIfMatch},
		{"IfNoneExist", testIfNoneExist},
		{"Tokens", testTokens},
		{"TxSeesOwnWrites", testTxSeesOwnWrites},
		{"HistoryScopes", testHistoryScopes},
		{"HistorySurvivesDelete", testHistorySurvivesDelete},
		{"HistorySince", testHistorySince},
		{"HistoryPagingStable", testHistoryPagingStable},
		{"HistoryCount", testHistoryCount},
		{"AtomicityFnError", testAtomicityFnError},
		{"AtomicityInGroup", func(t *testing.T, s store.Store) { testAtomicityInGroup(t, s, c.failStatement) }},
		{"CreatesInGroup", testCreatesInGroup},
		{"CanceledWrite", testCanceledWrite},
		{"Concurrency", testConcurrency},
		{"ChangesPaging", testChangesPaging},
		{"Stats", testStats},
		{"CloseDrains", testCloseDrains},
		{"OnceFirst", testOnceFirst},
		{"OnceRolledBack", func(t *testing.T, s store.Store) { testOnceRolledBack(t, s, c.failStatement) }},
		{"OnceConcurrent", testOnceConcurrent},
		{"PruneOnce", testPruneOnce},
		{"MessageSearch", testMessageSearch},
		{"MessageText", testMessageText},
		{"MessageRolledBack", func(t *testing.T, s store.Store) { testMessageRolledBack(t, s, c.failStatement) }},
		{"PruneMessages", testPruneMessages},
		{"Search", func(t *testing.T, _ store.Store) { testSearch(t, newStore) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

// Observation returns a synthetic Observation of about 1 KB whose note
// carries marker, so a test can tell versions apart.
func Observation(marker string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],`+
		`"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"},{"system":"http://snomed.info/sct","code":"364075005","display":"Heart rate (observable entity)"}],"text":"Heart rate"},`+
		`"subject":{"reference":"Patient/example-patient-0001","display":"Synthetic Patient"},`+
		`"encounter":{"reference":"Encounter/example-encounter-0001"},`+
		`"effectiveDateTime":"2024-03-01T09:30:00+00:00","issued":"2024-03-01T09:31:12.345+00:00",`+
		`"performer":[{"reference":"Practitioner/example-practitioner-0001","display":"Dr Synthetic"}],`+
		`"valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"},`+
		`"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N","display":"Normal"}]}],`+
		`"referenceRange":[{"low":{"value":60,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"},"high":{"value":100,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}],`+
		`"note":[{"text":%q}]}`, marker)
}

// Patient returns a synthetic Patient with an NHS number from the 999 test
// range.
func Patient(nhsNumber, family string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient",`+
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":%q}],`+
		`"name":[{"family":%q,"given":["Test"]}],"gender":"unknown"}`, nhsNumber, family)
}

// nhsSystem is the UK Core NHS number identifier system.
const nhsSystem = "https://fhir.nhs.uk/Id/nhs-number"

// put writes one resource in its own Write and returns the stored version.
func put(t testing.TB, s store.Store, p store.Put) *store.Resource {
	t.Helper()
	r, err := tryPut(s, p)
	if err != nil {
		t.Fatalf("put %s/%s: %v", p.Type, p.ID, err)
	}
	return r
}

func tryPut(s store.Store, p store.Put) (*store.Resource, error) {
	var out *store.Resource
	err := s.Write(context.Background(), func(tx store.Tx) error {
		r, err := tx.Put(context.Background(), p)
		out = r
		return err
	})
	return out, err
}

func del(t testing.TB, s store.Store, typ, id string, ifMatch int64) (*store.Resource, error) {
	t.Helper()
	var out *store.Resource
	err := s.Write(context.Background(), func(tx store.Tx) error {
		r, err := tx.Delete(context.Background(), typ, id, ifMatch)
		out = r
		return err
	})
	return out, err
}

// marker returns the note text of an Observation body.
func marker(t testing.TB, body []byte) string {
	t.Helper()
	var v struct {
		Note []struct{ Text string } `json:"note"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	if len(v.Note) == 0 {
		return ""
	}
	return v.Note[0].Text
}

// key names one resource version.
type key struct {
	typ, id string
	version int64
}

func (k key) String() string { return fmt.Sprintf("%s/%s/_history/%d", k.typ, k.id, k.version) }

func keyOf(r store.Resource) key { return key{r.Type, r.ID, r.Version} }

// readAllChanges reads the whole feed after after in pages of limit.
func readAllChanges(t testing.TB, s store.Store, after int64, limit int) []store.Resource {
	t.Helper()
	var all []store.Resource
	for {
		page, err := s.Changes(context.Background(), after, limit)
		if err != nil {
			t.Fatalf("Changes(%d, %d): %v", after, limit, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// ackLog records writes acknowledged by Write, from many goroutines.
type ackLog struct {
	mu   sync.Mutex
	acks map[key]string // version -> marker
}

func newAckLog() *ackLog { return &ackLog{acks: map[key]string{}} }

func (a *ackLog) add(r *store.Resource, marker string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acks[key{r.Type, r.ID, r.Version}] = marker
}

func sameIDs(got, want []string) bool {
	return strings.Join(got, "\x00") == strings.Join(want, "\x00")
}

// waitAWhile gives goroutines just started time to block in Write.
func waitAWhile() { time.Sleep(50 * time.Millisecond) }

// Ident is one identifier row of an Index made by Identifiers.
func Ident(system, value string) search.TokenRow {
	return search.TokenRow{Key: search.Key{Param: "identifier"}, System: system, Code: value}
}

// Identifiers is a search index holding only identifier rows.
func Identifiers(rows ...search.TokenRow) *search.Index {
	return &search.Index{Tokens: rows}
}
