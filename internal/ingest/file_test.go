package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/queue"
	"carerecord/internal/shareddata"
)

// fileQueue records what QueueFile hands it. Bodies larger than max (when
// set) are refused as the queue refuses them; after failAfter publishes
// (when set) everything fails with queue.ErrFull.
type fileQueue struct {
	mu        sync.Mutex
	live      []queue.Message
	bulk      []queue.Message
	bulkCalls int
	rejected  []rejected
	max       int
	failAfter int
}

type rejected struct {
	feed, reason, location string
	body                   []byte
}

func (f *fileQueue) check(m queue.Message) error {
	if f.failAfter > 0 && len(f.live)+len(f.bulk) >= f.failAfter {
		return queue.ErrFull
	}
	if f.max > 0 && len(m.Body) > f.max {
		return fmt.Errorf("%w: %d bytes", queue.ErrTooLarge, len(m.Body))
	}
	return nil
}

func (f *fileQueue) Publish(_ context.Context, m queue.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(m); err != nil {
		return err
	}
	f.live = append(f.live, m)
	return nil
}

// PublishBulk refuses the whole batch when one message is too large, as
// the queue does.
func (f *fileQueue) PublishBulk(_ context.Context, msgs []queue.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bulkCalls++
	for _, m := range msgs {
		if err := f.check(m); err != nil {
			return err
		}
	}
	f.bulk = append(f.bulk, msgs...)
	return nil
}

func (f *fileQueue) Reject(_ context.Context, m queue.Message, reason, location string) error {
	feed, body := m.Feed, m.Body
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.max > 0 && len(body) > f.max {
		return queue.ErrTooLarge
	}
	f.rejected = append(f.rejected, rejected{feed, reason, location, bytes.Clone(body)})
	return nil
}

func controlIDs(ms []queue.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

var pas = ingest.FeedConfig{Name: "pas-adt"}

// Files hold messages in every shape senders write them; each message is
// queued once, in order, in wire form, and each that does not parse is
// dead-lettered with where it failed.
func TestQueueFileShapes(t *testing.T) {
	a, b, c := adt("F1", "9990000018", ""), adt("F2", "9990000026", ""), adt("F3", "9990000034", "")
	lf := func(s string) string { return strings.ReplaceAll(s, "\r", "\n") }
	crlf := func(s string) string { return strings.ReplaceAll(s, "\r", "\r\n") }
	batch := "FHS|^~\\&|PAS|RRV\rBHS|^~\\&|PAS|RRV\r" + a + b + c + "BTS|3\rFTS|1\r"
	tests := []struct {
		name     string
		file     string
		want     []string
		rejected []int // indexes of the rejected messages
		warnings int
	}{
		{"one message", a, []string{"F1"}, nil, 0},
		{"back to back, CR", a + b + c, []string{"F1", "F2", "F3"}, nil, 0},
		{"LF endings", lf(a + b + c), []string{"F1", "F2", "F3"}, nil, 0},
		{"CRLF endings", crlf(a + b + c), []string{"F1", "F2", "F3"}, nil, 0},
		{"blank lines between", crlf(a) + "\r\n\r\n" + crlf(b) + "\n\n" + crlf(c) + "\n\n\n", []string{"F1", "F2", "F3"}, nil, 0},
		{"byte-order mark", "\xEF\xBB\xBF" + a + b, []string{"F1", "F2"}, nil, 0},
		{"FHS/BHS batch", batch, []string{"F1", "F2", "F3"}, nil, 0},
		{"batch, LF", lf(batch), []string{"F1", "F2", "F3"}, nil, 0},
		{"miscounted batch still queued", strings.Replace(batch, "BTS|3", "BTS|4", 1), []string{"F1", "F2", "F3"}, nil, 1},
		{"malformed in the middle", a + malformed("BAD", "") + c, []string{"F1", "F3"}, []int{2}, 0},
		{"garbage before the first MSH", "hello\r" + a, []string{"F1"}, []int{1}, 0},
		{"only blank lines", "\r\n\r\n", nil, nil, 0},
	}
	for _, tt := range tests {
		for _, lane := range []queue.Lane{queue.Bulk, queue.Live} {
			t.Run(tt.name+"/"+lane.String(), func(t *testing.T) {
				q := &fileQueue{}
				rep, err := ingest.QueueFile(context.Background(), q, pas, strings.NewReader(tt.file), lane)
				if err != nil {
					t.Fatal(err)
				}
				got, other := q.bulk, q.live
				if lane == queue.Live {
					got, other = q.live, q.bulk
				}
				if ids := controlIDs(got); !slices.Equal(ids, tt.want) || len(other) > 0 {
					t.Fatalf("queued %v on %s (and %d on the other lane), want %v", ids, lane, len(other), tt.want)
				}
				for _, m := range got {
					if m.Feed != "pas-adt" || !strings.HasPrefix(m.Key, "nhs:999") || m.EventTime.IsZero() ||
						bytes.ContainsAny(m.Body, "\n") || !bytes.HasPrefix(m.Body, []byte("MSH|")) || !bytes.HasSuffix(m.Body, []byte("\r")) {
						t.Errorf("queued message not in wire form or not keyed: %+v %q", m, m.Body)
					}
				}
				var idx []int
				for i, r := range rep.Rejected {
					idx = append(idx, r.Index)
					if !r.DeadLettered || r.Reason == "" || q.rejected[i].reason != r.Reason || q.rejected[i].location != r.Location {
						t.Errorf("rejection %+v, dead letter %+v", r, q.rejected[i])
					}
				}
				if !slices.Equal(idx, tt.rejected) || len(q.rejected) != len(tt.rejected) {
					t.Errorf("rejected %v (dead letters %d), want %v", idx, len(q.rejected), tt.rejected)
				}
				if rep.Queued != len(tt.want) || rep.Messages != len(tt.want)+len(tt.rejected) || len(rep.Warnings) != tt.warnings {
					t.Errorf("report %+v", rep)
				}
			})
		}
	}
}

// A malformed message's dead letter keeps its raw bytes, its control id
// and where it failed, and the report says which message of the file it is.
func TestQueueFileRejection(t *testing.T) {
	// MSH-2 with the component separator twice: no delimiters to read by.
	bad := strings.Replace(adt("BAD7", "9990000026", ""), `^~\&`, `^^\&`, 1)
	file := adt("F1", "9990000018", "") + bad
	q := &fileQueue{}
	rep, err := ingest.QueueFile(context.Background(), q, pas, strings.NewReader(file), queue.Bulk)
	if err != nil {
		t.Fatal(err)
	}
	want := ingest.Rejection{Index: 2, Offset: int64(len(file) - len(bad)), Location: "MSH-2", DeadLettered: true} // no readable header: no control id
	if len(rep.Rejected) != 1 {
		t.Fatalf("rejected: %+v", rep.Rejected)
	}
	got := rep.Rejected[0]
	got.Reason = ""
	if got != want {
		t.Errorf("rejection %+v, want %+v", got, want)
	}
	if !strings.Contains(rep.Rejected[0].Reason, "delimiters") {
		t.Errorf("reason %q does not say what is wrong", rep.Rejected[0].Reason)
	}
	if string(q.rejected[0].body) != bad || q.rejected[0].feed != "pas-adt" {
		t.Errorf("dead letter %+v", q.rejected[0])
	}
}

// A large file goes to the bulk lane in chunks, never in one call, and a
// message too large for the queue costs only itself, not its chunk.
func TestQueueFileChunksAndTooLarge(t *testing.T) {
	var b strings.Builder
	const n = 2500
	for i := range n {
		id := "C" + strconv.Itoa(i)
		if i == 1700 {
			b.WriteString(adt(id, "9990000018", "") + "NTE|1||" + strings.Repeat("x", 2000) + "\r")
			continue
		}
		b.WriteString(adt(id, "9990000018", ""))
	}
	q := &fileQueue{max: 1500}
	rep, err := ingest.QueueFile(context.Background(), q, pas, strings.NewReader(b.String()), queue.Bulk)
	if err != nil {
		t.Fatal(err)
	}
	if q.bulkCalls < 3 {
		t.Errorf("%d messages in %d PublishBulk calls: not chunked", n, q.bulkCalls)
	}
	if rep.Messages != n || rep.Queued != n-1 || len(q.bulk) != n-1 || len(rep.Rejected) != 1 {
		t.Fatalf("report: messages %d queued %d rejected %+v; bulk lane holds %d", rep.Messages, rep.Queued, rep.Rejected, len(q.bulk))
	}
	if r := rep.Rejected[0]; r.Index != 1701 || r.ControlID != "C1700" || r.DeadLettered || !strings.Contains(r.Reason, "too large") {
		t.Errorf("rejection %+v", r)
	}
	ids := controlIDs(q.bulk)
	if ids[0] != "C0" || ids[len(ids)-1] != "C"+strconv.Itoa(n-1) || slices.Contains(ids, "C1700") {
		t.Errorf("bulk lane order or content wrong")
	}
}

// When the queue refuses, QueueFile stops with the queue's error and
// counts what it queued before.
func TestQueueFileQueueFull(t *testing.T) {
	file := adt("F1", "9990000018", "") + adt("F2", "9990000026", "") + adt("F3", "9990000034", "")
	q := &fileQueue{failAfter: 2}
	rep, err := ingest.QueueFile(context.Background(), q, pas, strings.NewReader(file), queue.Live)
	if !errors.Is(err, queue.ErrFull) || errors.Is(err, ingest.ErrRead) {
		t.Fatalf("err = %v, want queue.ErrFull", err)
	}
	if rep.Queued != 2 || rep.Messages != 3 {
		t.Errorf("report %+v", rep)
	}
}

type brokenReader struct {
	r   io.Reader
	err error
}

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, b.err
	}
	return n, err
}

// A file that cannot be read to its end is ErrRead, after the messages
// before the problem were queued.
func TestQueueFileUnreadable(t *testing.T) {
	file := adt("F1", "9990000018", "") + adt("F2", "9990000026", "")
	q := &fileQueue{}
	broken := errors.New("disk on fire")
	rep, err := ingest.QueueFile(context.Background(), q, pas, &brokenReader{strings.NewReader(file), broken}, queue.Bulk)
	if !errors.Is(err, ingest.ErrRead) || !errors.Is(err, broken) {
		t.Fatalf("err = %v, want ErrRead wrapping the read error", err)
	}
	if rep.Queued != 1 || len(q.bulk) != 1 {
		t.Errorf("queued %d (%d on the lane), want the first message", rep.Queued, len(q.bulk))
	}

	// A message larger than the parser takes stops the reading too.
	huge := adt("F1", "9990000018", "") + "MSH|^~\\&|PAS|RRV|CR|CR|20260101120000||ADT^A01|F2|P|2.5.1\rNTE|" + strings.Repeat("x", hl7.DefaultMaxSize) + "\r"
	_, err = ingest.QueueFile(context.Background(), &fileQueue{}, pas, strings.NewReader(huge), queue.Bulk)
	if !errors.Is(err, ingest.ErrRead) || !errors.Is(err, hl7.ErrTooLarge) {
		t.Errorf("err = %v, want ErrRead and hl7.ErrTooLarge", err)
	}
}

// QueueMessage keys by NHS number, identifies by MSH-10 and dates by EVN-2
// when given, else MSH-7.
func TestQueueMessage(t *testing.T) {
	withEVN, err := hl7.Parse([]byte(adt("Q1", "9990000018", "")))
	if err != nil {
		t.Fatal(err)
	}
	m := ingest.QueueMessage(pas, withEVN, withEVN.Encode())
	if m.Feed != "pas-adt" || m.Key != "nhs:9990000018" || m.ID != "Q1" || !m.EventTime.Equal(time.Date(2026, 1, 1, 11, 59, 0, 0, time.UTC)) {
		t.Errorf("with EVN-2: %+v", m)
	}
	noEVN, err := hl7.Parse([]byte("MSH|^~\\&|PAS|RRV|CR|CR|20260102083000||ADT^A08|Q2|P|2.5.1\rPID|||M7^^^RRV^MR\r"))
	if err != nil {
		t.Fatal(err)
	}
	m = ingest.QueueMessage(pas, noEVN, noEVN.Encode())
	if m.Key != "mrn:RRV|M7" || !m.EventTime.Equal(time.Date(2026, 1, 2, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("without EVN-2: %+v", m)
	}
}

// Every file of the public corpora goes through: each message is queued or
// dead-lettered, none is lost, and the counts match the corpus manifest.
func TestQueueFileCorpus(t *testing.T) {
	dir := shareddata.Require(t, "testdata", "hl7v2")
	want := manifestCounts(t, filepath.Join(dir, "MANIFEST.tsv"))
	var files, messages, rejectedTotal int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		n, ok := want[filepath.ToSlash(rel)]
		if !ok {
			return nil // README, MANIFEST, the PDF
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		q := &fileQueue{}
		rep, err := ingest.QueueFile(context.Background(), q, pas, f, queue.Bulk)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		// n is 0 for the one file that is not HL7 (a PDF): it is one item,
		// dead-lettered as not a message.
		if n > 0 && rep.Messages != n || n == 0 && rep.Queued != 0 ||
			rep.Queued+len(rep.Rejected) != rep.Messages || len(q.bulk) != rep.Queued || len(q.rejected) != len(rep.Rejected) {
			t.Errorf("%s: manifest says %d messages; read %d, queued %d, rejected %d (dead letters %d)",
				rel, n, rep.Messages, rep.Queued, len(rep.Rejected), len(q.rejected))
		}
		for _, r := range rep.Rejected {
			if r.Reason == "" || !r.DeadLettered {
				t.Errorf("%s: rejection without a reason or not dead-lettered: %+v", rel, r)
			}
		}
		files++
		messages += rep.Messages
		rejectedTotal += len(rep.Rejected)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != len(want) {
		t.Errorf("read %d files, the manifest lists %d", files, len(want))
	}
	t.Logf("%d files, %d messages, %d dead-lettered as malformed", files, messages, rejectedTotal)
}

// manifestCounts reads MANIFEST.tsv: file → number of messages.
func manifestCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 6 || cols[0] == "local_file" {
			continue
		}
		n, err := strconv.Atoi(cols[5])
		if err != nil {
			t.Fatalf("manifest line %q", sc.Text())
		}
		out[cols[0]] = n
	}
	return out
}

// Through the real queue: a backload file's messages arrive on the bulk
// lane keyed by patient, and the malformed one is a dead letter with its
// reason and location.
func TestQueueFileIntoTheQueue(t *testing.T) {
	q := openQueue(t)
	file := "BHS|^~\\&|PAS|RRV\r" + adt("R1", "9990000018", "") + malformed("R2", "") + adt("R3", "9990000026", "") + "BTS|3\r"
	rep, err := ingest.QueueFile(context.Background(), q, pas, strings.NewReader(file), queue.Bulk)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].ControlID != "R2" || rep.Lane != "bulk" || rep.Feed != "pas-adt" {
		t.Fatalf("report %+v", rep)
	}
	got := consume(t, q).wait(t, 2)
	for _, d := range got {
		if d.Lane != queue.Bulk || !strings.HasPrefix(d.Key, "nhs:999") {
			t.Errorf("delivery %s on %s keyed %q", d.ID, d.Lane, d.Key)
		}
	}
	dls, err := q.DeadLetters(context.Background(), queue.DeadLetterFilter{Feed: "pas-adt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Error == "" || dls[0].Error != rep.Rejected[0].Reason || string(dls[0].Message.Body) != malformed("R2", "") {
		t.Fatalf("dead letters %+v", dls)
	}
}
