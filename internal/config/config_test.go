package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPrecedence(t *testing.T) {
	file := filepath.Join("testdata", "good.yml")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.Listen == "127.0.0.1:8080" && c.DataDir == "./data" && c.Demo.Patients == 1000
		}},
		{"file over defaults", []string{"--config", file}, nil, func(c Config) bool {
			return c.Listen == "127.0.0.1:9000" && c.Demo.Patients == 50 && c.LogLevel == "debug" && c.MaxBodyBytes == 64<<20 &&
				len(c.Feeds) == 1 && c.Feeds[0].ODS == "RRV" && c.NATSURL == "nats://127.0.0.1:4222"
		}},
		{"--mllp adds the default feed beside the file's", []string{"--config", file, "--mllp", "127.0.0.1:2600"}, nil, func(c Config) bool {
			return len(c.Feeds) == 2 && c.Feeds[1].Name == "default" && c.Feeds[1].MLLP == "127.0.0.1:2600" &&
				c.Feeds[1].FeedDefaults().ODS == DefaultFeedODS
		}},
		{"CARERECORD_MLLP moves the default feed", []string{"--mllp", "127.0.0.1:2600"}, map[string]string{EnvMLLP: "127.0.0.1:2700"}, func(c Config) bool {
			return len(c.Feeds) == 1 && c.Feeds[0].MLLP == "127.0.0.1:2600"
		}},
		{"file from environment", nil, map[string]string{EnvConfig: file}, func(c Config) bool {
			return c.Listen == "127.0.0.1:9000"
		}},
		{"environment over file", []string{"--config", file}, map[string]string{EnvListen: "127.0.0.1:7000", EnvPatients: "20"}, func(c Config) bool {
			return c.Listen == "127.0.0.1:7000" && c.Demo.Patients == 20 && c.DataDir == "/var/lib/carerecord"
		}},
		{"flags over environment", []string{"--config", file, "--listen", "127.0.0.1:6000", "--patients", "3"}, map[string]string{EnvListen: "127.0.0.1:7000", EnvPatients: "20"}, func(c Config) bool {
			return c.Listen == "127.0.0.1:6000" && c.Demo.Patients == 3 && c.Demo.Seed == 7
		}},
		{"unset flag keeps environment", []string{"--seed", "9"}, map[string]string{EnvData: "/tmp/x"}, func(c Config) bool {
			return c.DataDir == "/tmp/x" && c.Demo.Seed == 9
		}},
		{"live demo feeds on by default", nil, nil, func(c Config) bool { return c.Demo.LiveFeeds }},
		{"--demo-feeds=false over environment", []string{"--demo-feeds=false"}, map[string]string{EnvDemoFeeds: "true"}, func(c Config) bool {
			return !c.Demo.LiveFeeds
		}},
		{"CARERECORD_DEMO_FEEDS turns them off", nil, map[string]string{EnvDemoFeeds: "false"}, func(c Config) bool {
			return !c.Demo.LiveFeeds
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Load("demo", StoreFlags|ServerFlags|DemoFlags, tt.args, envOf(tt.env), io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c) {
				t.Errorf("unexpected config:\n%s", c)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestRemainingArgs(t *testing.T) {
	_, rest, err := Load("import", StoreFlags, []string{"--data", "d", "a.json", "b.ndjson"}, envOf(nil), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rest, " ") != "a.json b.ndjson" {
		t.Errorf("rest = %q", rest)
	}
}

func TestFlagNotInSet(t *testing.T) {
	if _, _, err := Load("import", StoreFlags, []string{"--patients", "3"}, envOf(nil), io.Discard, nil); err == nil {
		t.Error("import accepted --patients")
	}
}

func TestBadEnvironment(t *testing.T) {
	_, _, err := Load("serve", StoreFlags|ServerFlags, nil, envOf(map[string]string{EnvMaxBodyBytes: "lots"}), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), EnvMaxBodyBytes) {
		t.Errorf("err = %v, want one naming %s", err, EnvMaxBodyBytes)
	}
}

// Each testdata/*.bad.yml must fail to load or validate, with a message
// naming the offending setting.
func TestBadFiles(t *testing.T) {
	want := map[string]string{
		"no-port.bad.yml":        "listen",
		"unknown-key.bad.yml":    "listen_port",
		"tiny-body.bad.yml":      "max_body_bytes",
		"log-level.bad.yml":      "log_level",
		"postgres-dsn.bad.yml":   "postgres",
		"public-url.bad.yml":     "public_url",
		"patients.bad.yml":       "demo.patients",
		"syntax.bad.yml":         "syntax.bad.yml",
		"feed-name.bad.yml":      "feeds: name",
		"feed-mllp.bad.yml":      "feeds: lab: mllp",
		"feed-no-source.bad.yml": "feeds: lab: give mllp",
		"feed-drop-lane.bad.yml": "feeds: lab: drop_lane",
		"nats.bad.yml":           "nats",
		"retention.bad.yml":      "message_retention",
	}
	files, _ := filepath.Glob("testdata/*.bad.yml")
	if len(files) != len(want) {
		t.Fatalf("%d bad files, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := Default()
			err := c.LoadFile(f)
			if err == nil {
				err = c.Validate()
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), want[filepath.Base(f)]) {
				t.Errorf("error %q does not name %q", err, want[filepath.Base(f)])
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	for _, dsn := range []string{"postgres://u:s3cret@db:5432/x", "host=db user=u password=s3cret dbname=x"} {
		c := Default()
		c.PostgresDSN = dsn
		if s := c.String(); strings.Contains(s, "s3cret") {
			t.Errorf("password shown: %s", s)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}
