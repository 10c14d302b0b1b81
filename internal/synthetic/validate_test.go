package synthetic

import (
	"encoding/json"
	"testing"
	"time"

	"carerecord/internal/fhir"
)

func TestEveryResourceValidates(t *testing.T) {
	byType := map[string]int{}
	for _, r := range population() {
		h, err := fhir.Validate(r.Body)
		if err != nil {
			t.Errorf("%s/%s: %v\n%s", r.Type, r.ID, err, r.Body)
			continue
		}
		if h.ResourceType != r.Type || h.ID != r.ID {
			t.Errorf("%s/%s: validator read %s/%s", r.Type, r.ID, h.ResourceType, h.ID)
		}
		byType[r.Type]++
	}
	if len(byType) < 17 {
		t.Errorf("validated only %d resource types: %v", len(byType), byType)
	}
}

// TestOtherReferenceDates moves "today": before COVID-19 vaccination began,
// into the future, and to a moment that is not midnight.
func TestOtherReferenceDates(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
	}{
		{"before the pandemic", time.Date(2012, 3, 14, 0, 0, 0, 0, time.UTC)},
		{"far future", time.Date(2041, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"mid-afternoon, not UTC", time.Date(2025, 7, 21, 15, 42, 7, 0, time.FixedZone("BST", 3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []decoded
			err := Generate(Options{Seed: 77, Patients: 60, Now: tt.now}, func(r Resource) error {
				if _, err := fhir.Validate(r.Body); err != nil {
					t.Errorf("%s/%s: %v", r.Type, r.ID, err)
				}
				var v map[string]any
				if err := json.Unmarshal(r.Body, &v); err != nil {
					return err
				}
				rs = append(rs, decoded{r, v})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			_, checked := checkTimelines(t, groups(rs), tt.now.UTC())
			if checked < 500 {
				t.Errorf("only %d dates checked", checked)
			}
		})
	}
}
