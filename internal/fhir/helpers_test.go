package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

func TestPeek(t *testing.T) {
	tests := []struct {
		name, body string
		want       Header
		code       string // "" for success
	}{
		{"usual", `{"resourceType":"Patient","id":"p1","active":true}`, Header{"Patient", "p1"}, ""},
		{"id first", `{"id":"p1","name":[{"x":1}],"resourceType":"Patient"}`, Header{"Patient", "p1"}, ""},
		{"escaped", `{"resourceType":"Obs\u0065rvation","\u0069d":"o\u0031"}`, Header{"Observation", "o1"}, ""},
		{"no id", `{"resourceType":"Patient"}`, Header{"Patient", ""}, ""},
		{"stops early", `{"resourceType":"Patient","id":"p1","rest": not json`, Header{"Patient", "p1"}, ""},
		{"no type", `{"id":"p1"}`, Header{}, "invalid"},
		{"type not string", `{"resourceType":1}`, Header{}, "invalid"},
		{"unknown type", `{"resourceType":"Foo"}`, Header{}, "code-invalid"},
		{"array", `[]`, Header{}, "structure"},
		{"malformed", `{"resourceType":`, Header{}, "structure"},
		{"empty", ``, Header{}, "structure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Peek([]byte(tt.body))
			var ferr *Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("Peek: %v", err)
			case tt.code != "" && (!errors.As(err, &ferr) || ferr.Issues[0].Code != tt.code):
				t.Fatalf("Peek error = %v, want code %s", err, tt.code)
			}
			if h != tt.want {
				t.Errorf("Peek = %+v, want %+v", h, tt.want)
			}
		})
	}
}

// topNames lists the top-level member names of a JSON object in order.
func topNames(t testing.TB, body []byte) []string {
	t.Helper()
	var names []string
	err := topMembers(body, func(name []byte, d *jsontext.Decoder) (bool, error) {
		names = append(names, string(name))
		return true, d.SkipValue()
	})
	if err != nil {
		t.Fatalf("topMembers(%s): %v", body, err)
	}
	return names
}

type metaView struct {
	ID   string `json:"id"`
	Meta struct {
		VersionID   string   `json:"versionId"`
		LastUpdated string   `json:"lastUpdated"`
		Source      string   `json:"source"`
		Profile     []string `json:"profile"`
		Tag         []struct {
			Code string `json:"code"`
		} `json:"tag"`
	} `json:"meta"`
}

func TestSetMeta(t *testing.T) {
	when := time.Date(2026, 11, 23, 10, 0, 0, 123_456_789, time.FixedZone("CET", 3600))
	const wantTS = "2026-11-23T09:00:00.123Z"
	tests := []struct {
		name, body string
		wantNames  []string
		wantOther  func(metaView) bool
	}{
		{"bare", `{"resourceType":"Patient","active":true}`,
			[]string{"resourceType", "id", "meta", "active"}, nil},
		{"replaces", `{"resourceType":"Patient","id":"old","meta":{"versionId":"1","lastUpdated":"2020-01-01T00:00:00Z"},"active":true}`,
			[]string{"resourceType", "id", "meta", "active"}, nil},
		{"keeps order", `{"active":true,"meta":{"source":"#feed","profile":["http://p"],"versionId":"9","tag":[{"code":"t"}]},"resourceType":"Patient","id":"x"}`,
			[]string{"active", "meta", "resourceType", "id"},
			func(m metaView) bool {
				return m.Meta.Source == "#feed" && slices.Equal(m.Meta.Profile, []string{"http://p"}) && len(m.Meta.Tag) == 1 && m.Meta.Tag[0].Code == "t"
			}},
		{"id missing meta present", "{\n  \"resourceType\": \"Patient\",\n  \"meta\": {\"security\": [{\"code\": \"R\"}]},\n  \"name\": [ {\"family\": \"X\"} ]\n}",
			[]string{"resourceType", "id", "meta", "name"}, nil},
		{"duplicate id dropped", `{"resourceType":"Patient","id":"a","id":"b"}`,
			[]string{"resourceType", "id", "meta"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SetMeta([]byte(tt.body), "new-1", 42, when)
			if err != nil {
				t.Fatalf("SetMeta: %v", err)
			}
			if got := topNames(t, out); !slices.Equal(got, tt.wantNames) {
				t.Errorf("members %v, want %v", got, tt.wantNames)
			}
			var m metaView
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("output %s: %v", out, err)
			}
			if m.ID != "new-1" || m.Meta.VersionID != "42" || m.Meta.LastUpdated != wantTS {
				t.Errorf("id %q versionId %q lastUpdated %q in %s", m.ID, m.Meta.VersionID, m.Meta.LastUpdated, out)
			}
			if tt.wantOther != nil && !tt.wantOther(m) {
				t.Errorf("other meta elements lost: %s", out)
			}
			if _, err := Validate(out); err != nil {
				t.Errorf("output does not validate: %v\n%s", err, out)
			}
		})
	}
}

func TestSetMetaErrors(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name, body, id string
		want           error
	}{
		{"bad id", `{"resourceType":"Patient"}`, "a_b", ErrInvalidID},
		{"empty id", `{"resourceType":"Patient"}`, "", ErrInvalidID},
		{"array", `[1]`, "a", ErrNotResource},
		{"no resourceType", `{"active":true}`, "a", ErrNotResource},
		{"meta not object", `{"resourceType":"Patient","meta":[]}`, "a", ErrNotResource},
		{"malformed", `{"resourceType":"Patient",`, "a", ErrNotResource},
		{"trailing", `{"resourceType":"Patient"} 1`, "a", ErrNotResource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SetMeta([]byte(tt.body), tt.id, 1, now)
			if !errors.Is(err, tt.want) || out != nil {
				t.Errorf("SetMeta = %q, %v; want %v", out, err, tt.want)
			}
		})
	}
}

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Identifier
	}{
		{"array", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"},{"value":"x\u0031","type":{"text":"t"}}]}`,
			[]Identifier{{NHSNumberSystem, "9990000018"}, {"", "x1"}}},
		{"single object", `{"resourceType":"Bundle","identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:1"}}`,
			[]Identifier{{"urn:ietf:rfc:3986", "urn:uuid:1"}}},
		{"nested identifiers ignored", `{"resourceType":"Patient","generalPractitioner":[{"identifier":{"value":"G1"}}]}`, nil},
		{"non-string members", `{"resourceType":"Patient","identifier":[{"system":1,"value":"v"},"junk"]}`,
			[]Identifier{{"", "v"}}},
		{"none", `{"resourceType":"Patient"}`, nil},
		{"malformed after first", `{"resourceType":"Patient","identifier":[{"value":"a"},{"value":`, []Identifier{{"", "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Identifiers([]byte(tt.body)); !slices.Equal(got, tt.want) {
				t.Errorf("Identifiers = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRewriteReferences(t *testing.T) {
	body := "{\"resourceType\":\"Bundle\", \"entry\": [\n {\"resource\": {\"resourceType\":\"Observation\",\"subject\":{\"reference\" : \"urn:uuid:1\"},\n" +
		"  \"performer\":[{\"reference\":\"urn:uuid:2\"},{\"display\":\"reference\"}],\"note\":[{\"text\":\"urn:uuid:1\"}]}}],\n" +
		" \"reference\": [\"urn:uuid:1\"], \"x\": {\"reference\": 5, \"y\": {\"reference\":\"keep\"}}, \"z\": {\"r\\u0065ference\":\"urn:uuid:2\"}}"
	want := "{\"resourceType\":\"Bundle\", \"entry\": [\n {\"resource\": {\"resourceType\":\"Observation\",\"subject\":{\"reference\" : \"Patient/p\\\"1\"},\n" +
		"  \"performer\":[{\"reference\":\"Practitioner/2\"},{\"display\":\"reference\"}],\"note\":[{\"text\":\"urn:uuid:1\"}]}}],\n" +
		" \"reference\": [\"urn:uuid:1\"], \"x\": {\"reference\": 5, \"y\": {\"reference\":\"keep\"}}, \"z\": {\"r\\u0065ference\":\"Practitioner/2\"}}"
	var seen []string
	out, err := RewriteReferences([]byte(body), func(ref string) (string, error) {
		seen = append(seen, ref)
		switch ref {
		case "urn:uuid:1":
			return `Patient/p"1`, nil
		case "urn:uuid:2":
			return "Practitioner/2", nil
		}
		return ref, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if !slices.Equal(seen, []string{"urn:uuid:1", "urn:uuid:2", "keep", "urn:uuid:2"}) {
		t.Errorf("fn called with %q", seen)
	}

	boom := errors.New("unresolvable")
	_, err = RewriteReferences([]byte(body), func(string) (string, error) { return "", boom })
	if !errors.Is(err, boom) {
		t.Errorf("fn error not returned: %v", err)
	}
	for _, bad := range []string{`{"reference":`, `{"a":1} x`, ``} {
		if _, err := RewriteReferences([]byte(bad), func(s string) (string, error) { return s, nil }); err == nil {
			t.Errorf("RewriteReferences(%q) accepted malformed JSON", bad)
		}
	}
}

// TestSyntheaRewriteAndSetMeta resolves every transaction-local urn:uuid
// reference of some Synthea bundles the way the store does, and sets meta
// on a sample of resources: the results must still validate.
func TestSyntheaRewriteAndSetMeta(t *testing.T) {
	bundles, resources := synthea(t)
	ids := map[string]map[string]string{} // bundle -> urn:uuid -> Type/id
	for i, r := range resources {
		h, err := Peek(r.body)
		if err != nil {
			t.Fatalf("%s entry %d: %v", r.bundle, r.index, err)
		}
		if ids[r.bundle] == nil {
			ids[r.bundle] = map[string]string{}
		}
		ids[r.bundle]["urn:uuid:"+h.ID] = fmt.Sprintf("%s/r%d", h.ResourceType, i)
	}
	for _, b := range bundles[:min(len(bundles), 5)] {
		out, err := RewriteReferences(b.body, func(ref string) (string, error) {
			if to, ok := ids[b.name][ref]; ok {
				return to, nil
			}
			if strings.HasPrefix(ref, "urn:uuid:") {
				return "", fmt.Errorf("unresolved %s", ref)
			}
			return ref, nil
		})
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if strings.Contains(string(out), `"reference": "urn:uuid:`) || len(out) >= len(b.body) {
			t.Errorf("%s: urn:uuid references left", b.name)
		}
		if _, err := Validate(out); err != nil {
			t.Errorf("%s: rewritten bundle: %v", b.name, err)
		}
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	for i := 0; i < len(resources); i += 7 {
		r := resources[i]
		out, err := SetMeta(r.body, fmt.Sprintf("id-%d", i), int64(i+1), when)
		if err != nil {
			t.Fatalf("%s entry %d: %v", r.bundle, r.index, err)
		}
		h, err := Validate(out)
		if err != nil || h.ID != fmt.Sprintf("id-%d", i) {
			t.Fatalf("%s entry %d: after SetMeta: %+v, %v", r.bundle, r.index, h, err)
		}
	}
}
