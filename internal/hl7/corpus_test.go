package hl7

import (
	"bytes"
	"carerecord/internal/shareddata"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir is the shared HL7 v2 sample set (see its README). It is read at
// test time and never copied here: the uclh-emap files are GPL-3.0.
var corpusDir = shareddata.Path("testdata", "hl7v2")

// badCorpus lists the corpus files that are malformed at the syntax level,
// with the error each must give: none now. Three files carry a Java string
// literal's escaping into the file (MSH-2 `^~\\&`, the escape character
// written twice); the parser reads them as `^~\&` (see parseDelimiters) and
// they round-trip byte for byte. (TestForJunit.txt and sample_win.hl7 also
// end segments with a literal `\r`, which is legal text.) The README's
// "malformed" UCLH messages (empty or unknown OBX-11, missing values,
// corrupt base64) are well-formed HL7: their faults are for the mapping to
// find, and they must parse here.
var badCorpus = map[string]struct {
	err   error
	field int
}{}

// corpusFiles returns the message files of the corpus by path relative to
// it, skipping the test when the corpus is absent.
func corpusFiles(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := loadCorpus()
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("HL7 v2 corpus not found at %s (the shared test data sits beside the repository)", corpusDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// loadCorpus reads the corpus; the error is fs.ErrNotExist when it is absent.
func loadCorpus() (map[string][]byte, error) {
	if _, err := os.Stat(corpusDir); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".hl7" && ext != ".txt" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}

func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	var messages, exact, failed, boms, multi int
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			sc := NewScanner(bytes.NewReader(b))
			var got []byte
			var msgs []*Message
			var itemErr error
			for sc.Scan() {
				got = append(got, sc.Bytes()...)
				if err := sc.ItemErr(); err != nil {
					itemErr = err
					continue
				}
				msgs = append(msgs, sc.Message())
			}
			if err := sc.Err(); err != nil {
				t.Fatalf("scanner: %v", err)
			}
			if !bytes.Equal(got, b) {
				t.Errorf("scanner items do not add up to the file")
			}
			if want, ok := badCorpus[name]; ok {
				_, err := Parse(b)
				var e *Error
				if !errors.Is(err, want.err) || !errors.As(err, &e) || e.Field != want.field || e.Segment != 1 {
					t.Fatalf("Parse error = %v, want %v at segment 1 field %d", err, want.err, want.field)
				}
				if itemErr == nil {
					t.Fatalf("scanner accepted a malformed message")
				}
				failed++
				return
			}
			if itemErr != nil {
				t.Fatalf("item: %v", itemErr)
			}
			if len(msgs) > 1 {
				multi++
			}
			for i, m := range msgs {
				messages++
				if m.HasBOM() {
					boms++
				}
				if m.Type().Code == "" || m.ControlID() == "" {
					t.Errorf("message %d: no MSH-9 or MSH-10", i+1)
				}
				checkReparse(t, m)
			}
			if len(msgs) == 1 {
				m, err := Parse(b)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !bytes.Equal(m.Bytes(), b) {
					t.Fatalf("Bytes() differs from the input")
				}
				exact++
			} else if bytes.Equal(got, b) {
				exact += len(msgs)
			}
		})
	}
	t.Logf("%d files: %d messages parsed, %d round-trip byte for byte, %d files rejected as malformed, %d with a BOM, %d files of several messages",
		len(files), messages, exact, failed, boms, multi)
	if want := len(badCorpus); failed != want {
		t.Errorf("%d files rejected, want %d", failed, want)
	}
}

// checkReparse encodes m in wire form, parses that, and checks every field
// of every segment reads the same.
func checkReparse(t *testing.T, m *Message) {
	t.Helper()
	m2, err := Parse(m.Encode())
	if err != nil {
		t.Fatalf("re-parse of Encode(): %v", err)
	}
	if m2.NumSegments() != m.NumSegments() {
		t.Fatalf("re-parse: %d segments, want %d", m2.NumSegments(), m.NumSegments())
	}
	for i := 1; i <= m.NumSegments(); i++ {
		a, b := m.Segment(i), m2.Segment(i)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("%v differs after re-parse", a)
		}
	}
}

func TestCorpusValues(t *testing.T) {
	files := corpusFiles(t)
	parse := func(t *testing.T, name string) *Message {
		t.Helper()
		b, ok := files[name]
		if !ok {
			t.Fatalf("%s not in the corpus", name)
		}
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	t.Run("UCLH NHS number in PID-3 with type HN", func(t *testing.T) {
		nhs := 0
		for name, b := range files {
			if !strings.HasPrefix(name, "uclh-emap/") || badCorpus[name].err != nil {
				continue
			}
			sc := NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				m := sc.Message()
				if m == nil || m.Control() {
					continue
				}
				for _, pid := range m.Segments("PID") {
					for r := 1; r <= pid.Reps(3); r++ {
						p := "3[" + string(rune('0'+r)) + "]"
						if pid.Get(p+".5") == "HN" {
							nhs++
							if id := pid.Get(p + ".1"); !digits(id) {
								t.Errorf("%s: NHS number is not digits", name)
							}
							if pid.Get(p+".4") != "NHS" {
								t.Errorf("%s: NHS number authority is not NHS", name)
							}
						}
					}
				}
			}
		}
		if nhs < 80 {
			t.Errorf("found %d NHS numbers, the README counts 86 messages with one", nhs)
		}
	})

	t.Run("UCLH A01", func(t *testing.T) {
		m := parse(t, "uclh-emap/Adt/generic/A01.txt")
		checks := map[string]string{
			"PID-3[2].1": "9999999999", "PID-3[2].5": "HN", "PID-3.1": "40800000", "PID-3[1].4": "MRENTR",
			"PID-5": "ORANGE", "PID-5.2": "BLOOD", "PID-7": "19800101", "MSH-3": "EPIC", "MSH-9.2": "A01",
			"MSH-1": "|", "MSH-2": `^~\&`,
		}
		for p, want := range checks {
			if got := m.Get(p); got != want {
				t.Errorf("Get(%q) = %q, want %q", p, got, want)
			}
		}
		if got := m.GetAll("PID-3.5"); strings.Join(got, ",") != "MEDREC,HN" {
			t.Errorf("GetAll(PID-3.5) = %q", got)
		}
		if m.Type() != (MessageType{"ADT", "A01", ""}) || m.ControlID() != "31644" || m.Version() != "2.4" {
			t.Errorf("header: %v %q %q", m.Type(), m.ControlID(), m.Version())
		}
		if m.AcceptAckType() != "AL" || m.AppAckType() != "NE" {
			t.Errorf("MSH-15/16: %q %q", m.AcceptAckType(), m.AppAckType())
		}
		if m.SendingFacility().NamespaceID != "UCLH" {
			t.Errorf("MSH-4: %v", m.SendingFacility())
		}
	})

	t.Run("UCLH birth time in BST", func(t *testing.T) {
		london, err := time.LoadLocation("Europe/London")
		if err != nil {
			t.Skip("no time zone database:", err)
		}
		m := parse(t, "uclh-emap/Adt/birth_datetime_bst.txt")
		bt, err := ParseTime(m.Get("PID-7"), london)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(1925, 7, 4, 3, 44, 1, 0, time.UTC); !bt.Equal(want) || bt.Precision != PrecisionSecond {
			t.Errorf("PID-7 = %v (%v), want %v", bt.Time.UTC(), bt.Precision, want)
		}
	})

	t.Run("Microsoft ADT A01 v2.8", func(t *testing.T) {
		m := parse(t, "microsoft-fhir-converter/ADT-A01-01.hl7")
		if m.Type() != (MessageType{"ADT", "A01", "ADT_A01"}) || m.Version() != "2.8" {
			t.Errorf("header: %v %q", m.Type(), m.Version())
		}
		if got := m.SendingFacility(); got != (HD{"GHHSFacility", "2.16.840.1.122848.1.30", "ISO"}) {
			t.Errorf("MSH-4 = %v", got)
		}
		ts, err := m.Time(time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(1989, 8, 18, 11, 26, 0, 0, time.FixedZone("", 2*3600+15*60)); !ts.Equal(want) || !ts.HasOffset || ts.Precision != PrecisionMinute {
			t.Errorf("MSH-7 = %v %v %v", ts.Time, ts.HasOffset, ts.Precision)
		}
		if got := m.Get("EVN-5.9.2"); got != "1.3.6.1.4.1.44750.1.2.2" {
			t.Errorf("EVN-5.9.2 = %q", got)
		}
		if got := m.Raw("EVN-5.9"); got != "DRNBR&1.3.6.1.4.1.44750.1.2.2&ISO" {
			t.Errorf("Raw(EVN-5.9) = %q", got)
		}
	})

	t.Run("several messages in one file", func(t *testing.T) {
		for _, name := range []string{"uclh-emap/LabOrders/winpath/Incremental.txt", "uclh-emap/LabOrders/winpath/LabDuplicateResultSegment.txt", "uclh-emap/LabOrders/winpath/patient_repeats.txt"} {
			if _, err := Parse(files[name]); !errors.Is(err, ErrSecondHeader) {
				t.Errorf("%s: Parse error = %v, want ErrSecondHeader", name, err)
			}
			b, err := ParseBatch(files[name])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n := len(b.Messages()); n != 2 {
				t.Errorf("%s: %d messages, want 2", name, n)
			}
			if !bytes.Equal(b.Bytes(), files[name]) {
				t.Errorf("%s: batch bytes differ", name)
			}
		}
	})
}
