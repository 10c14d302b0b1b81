package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/server/servertest"
)

// admission is a synthetic ADT^A01 for a test NHS number (999 prefix).
func admission(id, nhs, family string) string {
	return strings.Join([]string{
		`MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|` + id + `|P|2.4`,
		`EVN|A01|20240312093000`,
		`PID|1||RZZ` + id + `^^^RZZMRN^MR~` + nhs + `^^^NHS^NH||` + family + `^JANE||19800214|F`,
		`PV1|1|I|WARD7^BAY2^BED3^LGI`,
	}, "\r") + "\r"
}

// broken has a readable header and a segment whose name is not one.
func broken(id string) string {
	return `MSH|^~\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|` + id + "|P|2.4\rEVN|A01|20240312093000\rP!D|1||X\r"
}

// waitForPatient polls the FHIR API until the patient with the NHS number
// is in the record.
func waitForPatient(t *testing.T, srv *servertest.Server, nhs string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var b struct {
			Total int `json:"total"`
		}
		getJSON(t, srv.FHIR+"/Patient?identifier="+url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs), &b)
		if b.Total == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("patient %s never reached the record", nhs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postFile(t *testing.T, u, body string) (int, ingest.FileReport) {
	t.Helper()
	resp, err := http.Post(u, "x-application/hl7-v2+er7", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep ingest.FileReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("%s: answer: %v", resp.Status, err)
	}
	return resp.StatusCode, rep
}

// A feed that only takes files (no MLLP): a posted batch file goes through
// the bulk lane into the record, a message on the live lane too, and the
// malformed message is a dead letter with its reason.
func TestPostFileIntoTheRecord(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "pas", Drop: t.TempDir()}}
	}))
	file := strings.Join([]string{
		"FHS|^~\\&|PAS|RZZ", "BHS|^~\\&|PAS|RZZ",
		strings.ReplaceAll(admission("B1", "9990000018", "ASHBY"), "\r", "\r\n"),
		strings.ReplaceAll(admission("B2", "9990000026", "BARNES"), "\r", "\n"),
		broken("B3"),
		admission("B4", "9990000034", "COLE"),
		"BTS|4", "FTS|1", "",
	}, "\r\n")
	status, rep := postFile(t, srv.URL()+"/engine/feeds/pas/messages", file)
	if status != http.StatusAccepted || rep.Feed != "pas" || rep.Lane != "bulk" || rep.Messages != 4 || rep.Queued != 3 || rep.Error != "" {
		t.Fatalf("%d %+v", status, rep)
	}
	if len(rep.Rejected) != 1 || rep.Rejected[0].Index != 3 || rep.Rejected[0].ControlID != "B3" || !rep.Rejected[0].DeadLettered ||
		!strings.Contains(rep.Rejected[0].Reason, "segment name") {
		t.Fatalf("rejected: %+v", rep.Rejected)
	}
	for _, nhs := range []string{"9990000018", "9990000026", "9990000034"} {
		waitForPatient(t, srv, nhs)
	}
	var dls []struct {
		Feed, ControlID, Error string
	}
	getJSON(t, srv.URL()+"/engine/dead-letters?feed=pas", &dls)
	if len(dls) != 1 || dls[0].ControlID != "" && dls[0].ControlID != "B3" || dls[0].Error != rep.Rejected[0].Reason {
		t.Fatalf("dead letters %+v", dls)
	}

	status, rep = postFile(t, srv.URL()+"/engine/feeds/pas/messages?lane=live", admission("L1", "9990000042", "DUNN"))
	if status != http.StatusAccepted || rep.Lane != "live" || rep.Queued != 1 {
		t.Fatalf("live: %d %+v", status, rep)
	}
	waitForPatient(t, srv, "9990000042")

	var st struct {
		Feeds []struct {
			Name, MLLP, Drop string
		}
	}
	getJSON(t, srv.URL()+"/engine/status", &st)
	if len(st.Feeds) != 1 || st.Feeds[0].MLLP != "" || st.Feeds[0].Drop == "" {
		t.Errorf("status of a files-only feed: %+v", st)
	}
}

func TestPostFileRefusals(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.SetMLLP("127.0.0.1:0") }))
	tests := []struct {
		name, path string
		status     int
		inError    string
	}{
		{"unknown feed", "/engine/feeds/nosuch/messages", http.StatusNotFound, `no feed named "nosuch"`},
		{"unknown lane", "/engine/feeds/default/messages?lane=fast", http.StatusBadRequest, "lane"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rep := postFile(t, srv.URL()+tt.path, admission("X1", "9990000018", "ASHBY"))
			if status != tt.status || !strings.Contains(rep.Error, tt.inError) {
				t.Errorf("%d %q, want %d and %q", status, rep.Error, tt.status, tt.inError)
			}
		})
	}
	t.Run("body too large", func(t *testing.T) {
		// Announce more than the limit: refused before a byte is read.
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /engine/feeds/default/messages HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", int64(300<<20))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %s, want 413", resp.Status)
		}
	})
	t.Run("message too large to read", func(t *testing.T) {
		huge := admission("H1", "9990000018", "ASHBY") + admission("H2", "9990000026", "BARNES") + "NTE|" + strings.Repeat("x", hl7.DefaultMaxSize) + "\r"
		status, rep := postFile(t, srv.URL()+"/engine/feeds/default/messages", huge)
		if status != http.StatusRequestEntityTooLarge || rep.Queued != 1 || !strings.Contains(rep.Error, "message 2") {
			t.Errorf("%d %+v", status, rep)
		}
	})
}

// A file written into a feed's drop folder is queued, applied and moved to
// done/; a file that cannot be read is moved to failed/ with the reason.
func TestDropFolder(t *testing.T) {
	drop := t.TempDir()
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.Feeds = []config.Feed{{Name: "lab", Drop: drop}}
	}))
	// Written under a hidden name and renamed in, as a careful sender does.
	write := func(name, body string) {
		t.Helper()
		tmp := filepath.Join(drop, "."+name+".part")
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("a.hl7", admission("D1", "9990000018", "ASHBY")+"\n"+admission("D2", "9990000026", "BARNES")+broken("D3"))
	write("b.hl7", admission("D4", "9990000034", "COLE")+admission("D5", "9990000042", "DUNN")+"NTE|"+strings.Repeat("x", hl7.DefaultMaxSize)+"\r")

	waitForFile(t, filepath.Join(drop, "done", "a.hl7"))
	waitForFile(t, filepath.Join(drop, "failed", "b.hl7"))
	for _, gone := range []string{"a.hl7", "b.hl7"} {
		if _, err := os.Stat(filepath.Join(drop, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still in the drop folder (%v)", gone, err)
		}
	}
	reason, err := os.ReadFile(filepath.Join(drop, "failed", "b.hl7.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "larger than the limit") {
		t.Errorf("reason beside the failed file: %q, %v", reason, err)
	}
	var rep ingest.FileReport
	b, err := os.ReadFile(filepath.Join(drop, "done", "a.hl7.report.json"))
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err != nil || rep.Queued != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].ControlID != "D3" {
		t.Errorf("report beside the done file: %+v, %v", rep, err)
	}
	// The message before the unreadable one was queued all the same.
	for _, nhs := range []string{"9990000018", "9990000026", "9990000034"} {
		waitForPatient(t, srv, nhs)
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
