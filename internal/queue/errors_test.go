package queue

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPermanentAndAt(t *testing.T) {
	base := errors.New("no PID segment")
	tests := []struct {
		name      string
		err       error
		permanent bool
		location  string
	}{
		{"plain", base, false, ""},
		{"permanent", Permanent(base), true, ""},
		{"located permanent", At("PID-3", Permanent(base)), true, "PID-3"},
		{"permanent located, wrapped", fmt.Errorf("map: %w", Permanent(At("OBX[2]-5", base))), true, "OBX[2]-5"},
		{"located transient", At("MSH-9", base), false, "MSH-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v", got)
			}
			if got := location(tt.err); got != tt.location {
				t.Errorf("location = %q", got)
			}
			if !errors.Is(tt.err, base) {
				t.Error("the cause is lost")
			}
		})
	}
	if Permanent(nil) != nil || At("PID-3", nil) != nil {
		t.Error("nil errors must stay nil")
	}
}

func TestBackoff(t *testing.T) {
	o := ConsumeOptions{Backoff: time.Second, MaxBackoff: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		if got := o.backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

// The key hash must not change between releases: a changed hash sends a
// patient's queued and new messages to different partitions.
func TestPartitionStable(t *testing.T) {
	for key, want := range map[string]int{"": 5, "9990000018": 7, "MRN-12345": 6} {
		if got := partition(key, 8); got != want {
			t.Errorf("partition(%q, 8) = %d, want %d", key, got, want)
		}
	}
}

func TestParseSubject(t *testing.T) {
	for subj, want := range map[string]string{"cr.in.pas-adt.3": "pas-adt 3 true", "cr.dlq.lab": "lab -1 true", "cr.in": " 0 false", "cr.in.adt.x": "adt 0 false"} {
		feed, p, ok := parseSubject(subj)
		if got := fmt.Sprint(feed, " ", p, " ", ok); got != want {
			t.Errorf("parseSubject(%q) = %s, want %s", subj, got, want)
		}
	}
}
