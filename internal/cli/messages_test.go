package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `carerecord messages` lists a running server's message log with filters
// and what each message became, and shows one with its raw text.
func TestMessagesCommand(t *testing.T) {
	srv := startWithFeed(t)
	unknown := "MSH|^~\\&|PAS|RZZ|CR|ICS|20240312093000||ZZZ^Z01|U1|P|2.4\rZZZ|1|anything\r"
	file := filepath.Join(t.TempDir(), "in.hl7")
	writeFile(t, file, admission("C1", "9990000018")+admission("C2", "9990000026")+unknown)
	if code, out, errs := run(t, "ingest", "--to", srv.URL(), "--feed", "pas", "--lane", "live", file); code != 0 {
		t.Fatalf("ingest: exit %d, %q %q", code, out, errs)
	}
	eventually(t, "three messages logged", func() bool {
		_, out, _ := run(t, "messages", "--to", srv.URL())
		return strings.Contains(out, "3 messages")
	})

	code, out, errs := run(t, "messages", "--to", srv.URL(), "--patient", "https://fhir.nhs.uk/Id/nhs-number|9990000018")
	if code != 0 || !regexp.MustCompile(`(?m)^\d+\s+\S+ \S+\s+pas\s+ADT\^A01\s+C1\s+applied\s+Patient/\S+/_history/1\s*$`).MatchString(out) ||
		!strings.Contains(out, "1 messages") {
		t.Errorf("by patient: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "messages", "list", "--to", srv.URL(), "--status", "unsupported")
	if code != 0 || !regexp.MustCompile(`(?m)^(\d+)\s+.*ZZZ\^Z01\s+U1\s+unsupported\s*$`).MatchString(out) || !strings.Contains(out, "1 messages") {
		t.Errorf("unsupported:\n%s", out)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s`).FindStringSubmatch(out)[1]
	for _, args := range [][]string{
		{"--type", "ADT", "--feed", "pas", "--limit", "1"},
		{"--control-id", "C2", "--since", "2000-01-01"},
	} {
		code, out, errs := run(t, append([]string{"messages", "--to", srv.URL()}, args...)...)
		if code != 0 || !strings.Contains(out, "1 messages") || !strings.Contains(out, "ADT^A01") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	if _, out, _ := run(t, "messages", "--to", srv.URL(), "--until", "2000-01-01"); !strings.Contains(out, "0 messages") {
		t.Errorf("until 2000:\n%s", out)
	}

	// show: the raw message as it came, or a summary and the segments.
	if code, out, errs := run(t, "messages", "--to", srv.URL(), "show", id, "--raw"); code != 0 || out != unknown {
		t.Errorf("show --raw: exit %d, %q, %q", code, out, errs)
	}
	if code, out, _ := run(t, "messages", "--to", srv.URL(), "show", id); code != 0 ||
		!strings.Contains(out, "status:     unsupported") || !strings.Contains(out, "\nZZZ|1|anything\n") {
		t.Errorf("show:\n%s", out)
	}
	if code, out, _ := run(t, "messages", "--to", srv.URL(), "show", id, "--json"); code != 0 || !strings.Contains(out, `"type": "ZZZ^Z01"`) {
		t.Errorf("show --json:\n%s", out)
	}

	for _, tt := range []struct {
		args []string
		code int
		in   string
	}{
		{[]string{"messages", "--to", srv.URL(), "show", "999999"}, 1, "no such message"},
		{[]string{"messages", "--to", srv.URL(), "--status", "lost"}, 1, "status"},
		{[]string{"messages", "--to", srv.URL(), "show", "x"}, 2, "not a message id"},
		{[]string{"messages", "--to", srv.URL(), "frob"}, 2, "unexpected arguments"},
		{[]string{"messages"}, 2, "Usage"},
	} {
		if code, _, errs := run(t, tt.args...); code != tt.code || !strings.Contains(errs, tt.in) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args[1:], code, errs, tt.code, tt.in)
		}
	}
}
