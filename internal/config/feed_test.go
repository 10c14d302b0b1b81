package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{"heartbeat", Feed{Name: "pas", MLLP: ":2575", Heartbeat: 10 * time.Minute}, ""},
		{"negative heartbeat", Feed{Name: "pas", MLLP: ":2575", Heartbeat: -time.Minute}, "feeds: pas: heartbeat"},
		{"time zone", Feed{Name: "pas", MLLP: ":2575", TimeZone: "Europe/Dublin"}, ""},
		{"unknown time zone", Feed{Name: "pas", MLLP: ":2575", TimeZone: "Mars/Olympus"}, "feeds: pas: time_zone"},
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

// A feed's heartbeat is written as a duration in the YAML file; a feed
// without one is not watched, and check-config shows it.
func TestFeedHeartbeat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feeds.yml")
	yml := "feeds:\n  - {name: pas, mllp: 127.0.0.1:2575, heartbeat: 5m}\n  - {name: lab, mllp: 127.0.0.1:2576, heartbeat: 200ms}\n  - {name: doc, mllp: 127.0.0.1:2577}\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := []time.Duration{c.Feeds[0].Heartbeat, c.Feeds[1].Heartbeat, c.Feeds[2].Heartbeat}; got[0] != 5*time.Minute || got[1] != 200*time.Millisecond || got[2] != 0 {
		t.Errorf("heartbeats %v, want [5m 200ms 0]", got)
	}
	if s := c.String(); !strings.Contains(s, "feed: pas mllp 127.0.0.1:2575 ods RZZ heartbeat 5m0s time_zone Europe/London\n") || !strings.Contains(s, "feed: doc mllp 127.0.0.1:2577 ods RZZ time_zone Europe/London\n") {
		t.Errorf("check-config shows:\n%s", s)
	}
}
