package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"carerecord/internal/config"
	"carerecord/internal/fhir"
	"carerecord/internal/hl7"
	"carerecord/internal/server/servertest"
	"carerecord/internal/shareddata"
	"carerecord/internal/v2fhir"
)

// corpusFeeds are the feeds the shared corpus is posted to, one per source
// folder, so that each source's counts stand apart; UCLH's is set up as
// their Epic sends.
var corpusFeeds = map[string]config.Feed{
	"linuxforhealth":           {Name: "linuxforhealth", MLLP: "127.0.0.1:0"},
	"microsoft-fhir-converter": {Name: "fhirconverter", MLLP: "127.0.0.1:0"},
	"uclh-emap":                uclhFeed("127.0.0.1:0"),
}

// corpusFile is one file of the corpus as MANIFEST.tsv lists it.
type corpusFile struct {
	path     string // under the corpus folder, with slashes
	messages int
}

// readManifest lists the corpus's files of messages.
func readManifest(t *testing.T, root string) []corpusFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusFile
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 6 {
			continue
		}
		n, err := strconv.Atoi(cols[5])
		if err != nil {
			t.Fatalf("MANIFEST.tsv line %d: messages %q", i+1, cols[5])
		}
		if n > 0 {
			out = append(out, corpusFile{cols[0], n})
		}
	}
	return out
}

// tally is what became of one message type's messages. The engine
// applies a message (an A34/A40 merge links the two Patients),
// acknowledges it without writing (a type the record does not map, or a
// message that maps to nothing), or dead-letters it.
type tally struct{ sent, duplicate, applied, unsupported, notApplied, dead, wantDead int }

// corpusRun is what the test expects of the engine, worked out from the
// files as the engine's doors read them and as its mapper maps them.
type corpusRun struct {
	byType map[string]*tally
	// distinct and wantDead count, per feed, the messages the engine sees
	// once and those it should dead-letter. The queue drops a message whose
	// feed, control id and content it holds already (and the record's inbox
	// skips one it has applied); the dead-letter store keeps one copy of a
	// message rejected again.
	distinct, wantDead map[string]int
	seen               map[string]bool
	// typeOf names the type of each distinct message by its content, to
	// attribute dead letters.
	typeOf map[[32]byte]string
}

// note counts one message of a file posted to feed.
func (r *corpusRun) note(feed config.Feed, sc *hl7.Scanner) {
	msg := sc.Message()
	typ, key, body := "unreadable", "", bytes.TrimSpace(sc.Bytes())
	if msg != nil {
		typ = msg.Type().Code + "^" + msg.Type().Event
		body = msg.Encode()
		key = feed.Name + ":" + msg.ControlID() + ":" + string(body)
	} else {
		key = "rejected:" + feed.Name + ":" + string(body)
	}
	tl := r.byType[typ]
	if tl == nil {
		tl = &tally{}
		r.byType[typ] = tl
	}
	tl.sent++
	if r.seen[key] {
		tl.duplicate++
		return
	}
	r.seen[key] = true
	r.distinct[feed.Name]++
	r.typeOf[sha256.Sum256(body)] = typ
	var res *v2fhir.Result
	err := errors.New("does not parse")
	if msg != nil {
		// The engine maps with the feed's settings (engine.go).
		res, err = v2fhir.Map(msg, v2fhir.Feed{Name: feed.Name, Organisation: feed.FeedDefaults().ODS, LocalSystem: feed.LocalSystem})
	}
	switch {
	case err != nil:
		tl.wantDead++
		r.wantDead[feed.Name]++
	case res.Unsupported:
		tl.unsupported++
	case len(res.Entries)+len(res.Merges) == 0:
		tl.notApplied++
	default:
		tl.applied++
	}
}

// Every message of the shared corpus posted to the engine is applied,
// acknowledged (a type the record does not map), or dead-lettered with its
// reason; none is lost or counted twice, and what the record holds
// afterwards is valid FHIR.
func TestCorpusThroughEngine(t *testing.T) {
	root := shareddata.Require(t, "testdata", "hl7v2")
	files := readManifest(t, root)
	feeds := make([]config.Feed, 0, len(corpusFeeds))
	for _, f := range corpusFeeds {
		feeds = append(feeds, f)
	}
	srv := journeyServer(t, feeds...)
	run := corpusRun{byType: map[string]*tally{}, distinct: map[string]int{}, wantDead: map[string]int{},
		seen: map[string]bool{}, typeOf: map[[32]byte]string{}}
	for _, cf := range files {
		source, _, _ := strings.Cut(cf.path, "/")
		feed, ok := corpusFeeds[source]
		if !ok {
			t.Fatalf("%s: no feed for the folder %s", cf.path, source)
		}
		body, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(cf.path)))
		if err != nil {
			t.Fatal(err)
		}
		sc := hl7.NewScanner(bytes.NewReader(body))
		n := 0
		for sc.Scan() {
			if !sc.Control() && len(bytes.TrimSpace(sc.Bytes())) > 0 {
				n++
				run.note(feed, sc)
			}
		}
		if n != cf.messages {
			t.Errorf("%s: %d messages, MANIFEST.tsv says %d", cf.path, n, cf.messages)
		}
		status, rep := postFile(t, srv.URL()+"/engine/feeds/"+feed.Name+"/messages?lane=live", string(body))
		if status != http.StatusAccepted || rep.Messages != n || rep.Queued+len(rep.Rejected) != n {
			t.Fatalf("%s: %d %+v, want every one of %d messages queued or rejected", cf.path, status, rep, n)
		}
	}
	for _, f := range feeds {
		st := waitSettled(t, srv, f.Name, run.distinct[f.Name])
		if applied, dead, _ := st.feedCounts(f.Name); dead != run.wantDead[f.Name] {
			t.Errorf("feed %s: %d applied and %d dead-lettered of %d distinct messages, want %d dead-lettered",
				f.Name, applied, dead, run.distinct[f.Name], run.wantDead[f.Name])
		}
	}
	checkDeadLetters(t, srv, &run)
	checkRecordValid(t, srv)
	logCorpusTable(t, &run)
}

// checkDeadLetters attributes each dead letter to its message's type and
// checks that it says why, and where, without quoting the message.
func checkDeadLetters(t *testing.T, srv *servertest.Server, run *corpusRun) {
	var dls []struct {
		ID       uint64 `json:"id"`
		Feed     string `json:"feed"`
		Error    string `json:"error"`
		Location string `json:"location"`
	}
	getJSON(t, srv.URL()+"/engine/dead-letters", &dls)
	mapping := regexp.MustCompile(`^v2fhir: ([^:]+): `)
	place := regexp.MustCompile(`segment|field|component`)
	for _, d := range dls {
		var full struct {
			Message string `json:"message"`
		}
		getJSON(t, srv.URL()+"/engine/dead-letters/"+strconv.FormatUint(d.ID, 10), &full)
		typ, ok := run.typeOf[sha256.Sum256(bytes.TrimSpace([]byte(full.Message)))]
		if !ok {
			t.Errorf("dead letter %d (%s): not a message that was sent", d.ID, d.Feed)
			continue
		}
		run.byType[typ].dead++
		t.Logf("dead letter %d (feed %s, %s): %s [location %s]", d.ID, d.Feed, typ, d.Error, d.Location)
		switch m := mapping.FindStringSubmatch(d.Error); {
		case d.Error == "":
			t.Errorf("dead letter %d (%s): no reason", d.ID, typ)
		case m != nil && d.Location != m[1]:
			t.Errorf("dead letter %d (%s): %q names %s, location %q", d.ID, typ, d.Error, m[1], d.Location)
		case m == nil && place.MatchString(d.Error) && d.Location == "":
			t.Errorf("dead letter %d (%s): %q names a place in the message, but no location", d.ID, typ, d.Error)
		}
		if strings.Contains(d.Error, "9999999999") || strings.Contains(d.Error, "40800000") {
			t.Errorf("dead letter %d: the reason quotes an identifier: %q", d.ID, d.Error)
		}
	}
	for typ, tl := range run.byType {
		if tl.dead != tl.wantDead {
			t.Errorf("%s: %d dead letters, want %d", typ, tl.dead, tl.wantDead)
		}
	}
}

// checkRecordValid reads every version the engine wrote and validates it.
func checkRecordValid(t *testing.T, srv *servertest.Server) {
	u := srv.FHIR + "/_history?_count=500"
	n := 0
	for u != "" {
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
			Link []struct{ Relation, URL string } `json:"link"`
		}
		getJSON(t, u, &b)
		for _, e := range b.Entry {
			if _, err := fhir.Validate(e.Resource); err != nil {
				t.Errorf("the record holds invalid FHIR: %v", err)
			}
			n++
		}
		u = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u = l.URL
			}
		}
	}
	if n == 0 {
		t.Error("the corpus wrote nothing to the record")
	}
	t.Logf("%d resource versions in the record, all valid", n)
}

// logCorpusTable logs what became of each message type.
func logCorpusTable(t *testing.T, run *corpusRun) {
	types := make([]string, 0, len(run.byType))
	for typ := range run.byType {
		types = append(types, typ)
	}
	slices.Sort(types)
	const row = "%-12s %5v %10v %7v %11v %11v %5v"
	lines := []string{fmt.Sprintf(row, "type", "sent", "duplicates", "applied", "unsupported", "not-applied", "dead")}
	var sum tally
	for _, typ := range types {
		tl := run.byType[typ]
		lines = append(lines, fmt.Sprintf(row, typ, tl.sent, tl.duplicate, tl.applied, tl.unsupported, tl.notApplied, tl.dead))
		sum.sent += tl.sent
		sum.duplicate += tl.duplicate
		sum.applied += tl.applied
		sum.unsupported += tl.unsupported
		sum.notApplied += tl.notApplied
		sum.dead += tl.dead
	}
	lines = append(lines, fmt.Sprintf(row, "all", sum.sent, sum.duplicate, sum.applied, sum.unsupported, sum.notApplied, sum.dead))
	if sum.sent != sum.duplicate+sum.applied+sum.unsupported+sum.notApplied+sum.dead {
		t.Errorf("the outcomes do not add up to the %d messages sent", sum.sent)
	}
	t.Logf("the corpus through the engine (duplicates: the same feed, control id and content as an earlier message;\n"+
		"not-applied: mapped to nothing the record stores):\n%s", strings.Join(lines, "\n"))
}
