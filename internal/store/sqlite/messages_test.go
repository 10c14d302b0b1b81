package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carerecord/internal/store"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/store/storetest"
)

// TestMessageFootprint measures the bytes on disk the message log costs
// per logged ADT^A01 (the raw message, its row, its indexes and its
// patient rows), after a checkpoint has folded the WAL into the file.
func TestMessageFootprint(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.MessageFootprint(t, s, 5000, 2.5, func(ctx context.Context) (int64, error) {
		if err := s.Checkpoint(ctx); err != nil {
			return 0, err
		}
		fi, err := os.Stat(filepath.Join(dir, sqlite.FileName))
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	})
}

// Each filter of the message log starts from an index, never a scan of
// every message (SQLite plans without statistics, so the plan does not
// depend on the data).
func TestMessagePlans(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after := store.MessageCursor{Received: time.Now(), ID: 10}
	tests := []struct {
		name string
		f    store.MessageFilter
		want string // the index the plan starts from
	}{
		{"newest", store.MessageFilter{}, "messages_received"},
		{"next page", store.MessageFilter{After: after}, "messages_received"},
		{"time range", store.MessageFilter{Since: time.Now().Add(-time.Hour), Until: time.Now()}, "messages_received"},
		{"type", store.MessageFilter{Type: "ADT"}, "messages_received"},
		{"feed", store.MessageFilter{Feed: "pas"}, "messages_feed"},
		{"feed, next page", store.MessageFilter{Feed: "pas", After: after}, "messages_feed"},
		{"control id", store.MessageFilter{ControlID: "M1"}, "messages_control_id"},
		{"patient", store.MessageFilter{Patient: "https://fhir.nhs.uk/Id/nhs-number|9990000018"}, "SEARCH messages USING INTEGER PRIMARY KEY"},
		{"patient, feed, time, next page", store.MessageFilter{Patient: "9990000018", Feed: "pas", Since: time.Now().Add(-time.Hour), After: after},
			"SEARCH messages USING INTEGER PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := st.ExplainSearchMessages(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(plan, "\n"); !strings.Contains(first, tc.want) {
				t.Errorf("plan does not start from %s:\n%s", tc.want, plan)
			}
		})
	}
}

// BenchmarkLogMessage measures the message log's write alone: ADT^A01s
// with two patient identifiers each, 64 to a Write (a busy partition's
// batch: the commit's fsync is most of it) and 1,024 (the statements).
func BenchmarkLogMessage(b *testing.B) {
	for _, batch := range []int{64, 1024} {
		b.Run(fmt.Sprint(batch), func(b *testing.B) { benchLogMessage(b, batch) })
	}
}

func benchLogMessage(b *testing.B, batch int) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n := 0
	for b.Loop() {
		err := st.Write(ctx, func(tx store.Tx) error {
			for i := range batch {
				id := fmt.Sprintf("PAS%08d", n+i)
				nhs := fmt.Sprintf("999%07d", n+i)
				_, err := tx.LogMessage(ctx, store.MessageRecord{Key: "v2:pas-adt:" + id + ":0123456789abcdef0123456789abcdef",
					Feed: "pas-adt", ControlID: id, Type: "ADT^A01", Received: time.Now(), Status: store.MessageApplied,
					Patients: []string{"https://fhir.nhs.uk/Id/nhs-number|" + nhs, "https://fhir.rrv.nhs.uk/Id/mrn|RRV" + nhs},
					Outcome:  []string{"Patient/0123456789abcdef0123456789abcdef01234567/_history/1", "Encounter/fedcba9876543210fedcba9876543210fedcba98/_history/1"},
					Body:     storetest.ADTA01(id, nhs)})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/msg")
}
