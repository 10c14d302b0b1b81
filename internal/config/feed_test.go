package config

import (
	"strings"
	"testing"
)

// A feed may take HL7 v2 over MLLP, files from a drop folder, or both; the
// drop folder's lane defaults to bulk.
func TestFeedSources(t *testing.T) {
	tests := []struct {
		name    string
		feed    Feed
		wantErr string
	}{
		{"mllp only", Feed{Name: "pas", MLLP: "127.0.0.1:2575"}, ""},
		{"drop only", Feed{Name: "lab", Drop: "/srv/hl7/lab"}, ""},
		{"both, live lane", Feed{Name: "rad", MLLP: ":2576", Drop: "/srv/hl7/rad", DropLane: "live"}, ""},
		{"neither", Feed{Name: "doc"}, "feeds: doc: give mllp"},
		{"bad lane", Feed{Name: "lab", Drop: "/srv/hl7/lab", DropLane: "fast"}, "feeds: lab: drop_lane"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Feeds = []Feed{tt.feed}
			err := c.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if f := (Feed{Drop: "/srv/hl7"}).FeedDefaults(); f.DropLane != "bulk" {
		t.Errorf("drop lane defaults to %q, want bulk", f.DropLane)
	}
	if f := (Feed{MLLP: ":2575"}).FeedDefaults(); f.DropLane != "" {
		t.Errorf("a feed without a drop folder has drop lane %q", f.DropLane)
	}
}
