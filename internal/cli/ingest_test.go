package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/server/servertest"
)

// admission is a synthetic ADT^A01 for a test NHS number (999 prefix).
func admission(id, nhs string) string {
	return "MSH|^~\\&|PAS|RZZ|CR|ICS|20240312093000||ADT^A01^ADT_A01|" + id + "|P|2.4\r" +
		"EVN|A01|20240312093000\r" +
		"PID|1||RZZ" + id + "^^^RZZMRN^MR~" + nhs + "^^^NHS^NH||TEST^PAT||19800214|F\r" +
		"PV1|1|I|WARD7\r"
}

// unparseable has a readable header and a segment whose name is not one.
func unparseable(id string) string {
	return "MSH|^~\\&|PAS|RZZ|CR|ICS|20240312093000||ADT^A01^ADT_A01|" + id + "|P|2.4\rP!D|1||X\r"
}

// withoutPID parses but cannot be mapped: the consumer dead-letters it.
func withoutPID(id string) string {
	return "MSH|^~\\&|PAS|RZZ|CR|ICS|20240312093000||ADT^A01^ADT_A01|" + id + "|P|2.4\rEVN|A01|20240312093000\rPV1|1|I|WARD7\r"
}

func startWithFeed(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "pas", MLLP: "127.0.0.1:0"}}
	}))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within the deadline", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func patientCount(t *testing.T, srv *servertest.Server, nhs string) int {
	t.Helper()
	resp, err := http.Get(srv.FHIR + "/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Total
}

func TestIngestCommand(t *testing.T) {
	srv := startWithFeed(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.hl7"), admission("I1", "9990000018")+"\n"+admission("I2", "9990000026"))
	writeFile(t, filepath.Join(dir, "sub", "b.hl7"),
		"BHS|^~\\&|PAS|RZZ\r"+admission("I3", "9990000034")+unparseable("I4")+"BTS|2\r")
	writeFile(t, filepath.Join(dir, ".hidden.hl7"), admission("I5", "9990000042"))
	writeFile(t, filepath.Join(dir, ".git", "c.hl7"), admission("I6", "9990000050"))

	// Flags after the paths work too.
	code, out, errs := run(t, "ingest", dir, "--to", srv.URL(), "--feed", "pas")
	if code != 1 {
		t.Fatalf("exit %d with a rejected message, want 1; stdout %q stderr %q", code, out, errs)
	}
	if !strings.Contains(out, "ingested 2 files (4 messages) into feed pas") || !strings.Contains(out, "3 queued, 1 rejected, 0 files failed") {
		t.Errorf("summary %q", out)
	}
	if !regexp.MustCompile(`REJECTED \S*sub/b\.hl7 message 2 \(byte \d+, control id I4\): .*segment name.*\[in the dead letters\]`).MatchString(errs) {
		t.Errorf("rejection not reported: %q", errs)
	}
	for _, nhs := range []string{"9990000018", "9990000026", "9990000034"} {
		eventually(t, "patient "+nhs+" in the record", func() bool { return patientCount(t, srv, nhs) == 1 })
	}

	// A clean file exits 0, on the live lane as asked.
	file := filepath.Join(dir, "a.hl7")
	if code, out, errs := run(t, "ingest", "--to", strings.TrimPrefix(srv.URL(), "http://"), "--feed", "pas", "--lane", "live", file); code != 0 ||
		!strings.Contains(out, "2 queued, 0 rejected") {
		t.Errorf("clean file: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// An unknown feed fails, saying why.
	if code, _, errs := run(t, "ingest", "--to", srv.URL(), "--feed", "nosuch", file); code != 1 || !strings.Contains(errs, `no feed named "nosuch"`) {
		t.Errorf("unknown feed: exit %d, stderr %q", code, errs)
	}
}

func TestIngestCommandUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		in   string
	}{
		{"no --feed", []string{"ingest", "--to", "http://127.0.0.1:1", "x.hl7"}, 2, "--feed NAME"},
		{"no paths", []string{"ingest", "--to", "http://127.0.0.1:1", "--feed", "pas"}, 2, "PATH..."},
		{"bad lane", []string{"ingest", "--to", "http://127.0.0.1:1", "--feed", "pas", "--lane", "fast", "x.hl7"}, 2, "--lane"},
		{"missing path", []string{"ingest", "--to", "http://127.0.0.1:1", "--feed", "pas", filepath.Join(t.TempDir(), "none")}, 1, "none"},
		{"server not running", []string{"ingest", "--to", "http://127.0.0.1:1", "--feed", "pas", writeMessages(t, "M1")}, 1, "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := run(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.in) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tt.code, tt.in)
			}
		})
	}
}

func TestDeadLettersCommand(t *testing.T) {
	srv := startWithFeed(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.hl7"), unparseable("DL1")+withoutPID("DL2"))
	if code, out, errs := run(t, "ingest", "--to", srv.URL(), "--feed", "pas", dir); code != 1 {
		t.Fatalf("ingest: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	dl := func(args ...string) (int, string, string) {
		return run(t, append([]string{"dead-letters", "--to", srv.URL()}, args...)...)
	}
	// One rejected at the door, one dead-lettered by the consumer.
	var list []deadLetter
	eventually(t, "two dead letters", func() bool {
		code, out, errs := dl("list", "--json")
		if code != 0 {
			t.Fatalf("list: exit %d, stderr %q", code, errs)
		}
		list = nil
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("list --json: %v: %q", err, out)
		}
		return len(list) == 2
	})
	unmappable := list[1]
	if unmappable.ControlID != "DL2" || unmappable.Location != "PID" {
		t.Fatalf("dead letters %+v", list)
	}
	code, out, _ := dl("list")
	if code != 0 || !strings.Contains(out, "2 dead letters") || !regexp.MustCompile(`(?m)^\d+\s+pas\s+DL2\s+bulk\s+\d+\s+\S+ \S+\s+PID\s+\S`).MatchString(out) {
		t.Errorf("list table:\n%s", out)
	}
	id := func(d deadLetter) string { return strconv.FormatUint(d.ID, 10) }

	code, out, _ = dl("show", id(unmappable))
	if code != 0 || !strings.Contains(out, "control id: DL2") || !strings.Contains(out, "location:   PID") || !strings.Contains(out, "\nEVN|A01|20240312093000\n") {
		t.Errorf("show:\n%s", out)
	}
	if code, out, _ = dl("show", id(unmappable), "--raw"); code != 0 || out != withoutPID("DL2") {
		t.Errorf("show --raw: exit %d, %q", code, out)
	}

	// Fixed and reprocessed, it reaches the record.
	fix := filepath.Join(dir, "fixed.hl7")
	writeFile(t, fix, strings.Replace(withoutPID("DL2"), "PV1|", "PID|1||RZZDL2^^^RZZMRN^MR~9990000069^^^NHS^NH||FIXED^PAT||19900101|M\rPV1|", 1))
	if code, out, errs := dl("reprocess", id(unmappable), "--fix", fix); code != 0 || !strings.Contains(out, "reprocessing dead letter "+id(unmappable)) {
		t.Fatalf("reprocess --fix: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	eventually(t, "the fixed message in the record", func() bool { return patientCount(t, srv, "9990000069") == 1 })

	// Reprocessing all: the unparseable one fails again and comes back as
	// a new dead letter.
	code, out, errs := dl("reprocess", "--all", "--feed", "pas")
	if code != 0 || !strings.Contains(out, "reprocessing 1 dead letters") {
		t.Fatalf("reprocess --all: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	var again []deadLetter
	eventually(t, "the unparseable message dead-lettered again", func() bool {
		_, out, _ := dl("list", "--json")
		again = nil
		json.Unmarshal([]byte(out), &again)
		return len(again) == 1 && again[0].ID > unmappable.ID
	})

	if code, out, errs := dl("discard", id(again[0])); code != 0 || !strings.Contains(out, "discarded dead letter") {
		t.Errorf("discard: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, _ := dl("list"); code != 0 || !strings.Contains(out, "0 dead letters") {
		t.Errorf("after discard: %q", out)
	}
	if code, _, errs := dl("discard", id(again[0])); code != 1 || !strings.Contains(errs, "no such dead letter") {
		t.Errorf("discarding twice: exit %d, stderr %q", code, errs)
	}
}

func TestDeadLettersCommandUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		in   string
	}{
		{"no --to", []string{"dead-letters", "list"}, "Usage"},
		{"no command", []string{"dead-letters", "--to", "http://127.0.0.1:1"}, "Usage"},
		{"unknown command", []string{"dead-letters", "--to", "http://127.0.0.1:1", "frob"}, `unknown command "frob"`},
		{"show without id", []string{"dead-letters", "--to", "http://127.0.0.1:1", "show"}, "show takes one id"},
		{"bad id", []string{"dead-letters", "--to", "http://127.0.0.1:1", "discard", "x1"}, "not a dead-letter id"},
		{"--all with ids", []string{"dead-letters", "--to", "http://127.0.0.1:1", "reprocess", "--all", "3"}, "--all takes no ids"},
		{"--fix with two ids", []string{"dead-letters", "--to", "http://127.0.0.1:1", "reprocess", "1", "2", "--fix", "f.hl7"}, "one id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := run(t, tt.args...)
			if code != 2 || !strings.Contains(errs, tt.in) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, tt.in)
			}
		})
	}
}
