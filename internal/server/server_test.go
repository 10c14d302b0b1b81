package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"carerecord/internal/config"
	"carerecord/internal/fhir"
	"carerecord/internal/nhsnumber"
	"carerecord/internal/server"
	"carerecord/internal/server/servertest"
	"carerecord/internal/store"
)

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// The demo fills an empty store, serves it over real HTTP, and a restart on
// the same data keeps what is there instead of generating again.
func TestDemoServesPopulation(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, servertest.WithDemo(5, 42), servertest.WithConfig(func(c *config.Config) { c.DataDir = dir }))

	code, body := get(t, s.FHIR+"/metadata")
	if code != 200 || !bytes.Contains(body, []byte(`"CapabilityStatement"`)) {
		t.Fatalf("metadata: %d %.200s", code, body)
	}
	// The landing page names a patient by NHS number, and that search finds them.
	code, body = get(t, s.URL()+"/")
	if code != 200 || !bytes.Contains(body, []byte(s.FHIR)) {
		t.Errorf("landing page does not say where the API is: %d", code)
	}
	m := regexp.MustCompile(`nhs-number\|(999\d{7})`).FindSubmatch(body)
	if m == nil || !nhsnumber.Valid(string(m[1])) {
		t.Fatalf("landing page shows no valid test NHS number")
	}
	ids, err := s.Store().FindByToken(context.Background(), "Patient", "identifier", fhir.NHSNumberSystem, string(m[1]))
	if err != nil || len(ids) != 1 {
		t.Fatalf("demo patient by NHS number: %v %v", ids, err)
	}
	code, body = get(t, s.FHIR+"/Patient/"+ids[0])
	if code != 200 || !bytes.Contains(body, m[1]) {
		t.Fatalf("read demo patient: %d", code)
	}
	// Writes made by a user survive a restart of the demo.
	var changed store.Resource
	err = s.Store().Write(context.Background(), func(tx store.Tx) error {
		r, err := tx.Put(context.Background(), store.Put{Type: "Organization", ID: "user-made", Body: []byte(`{"resourceType":"Organization","name":"Made by a user"}`)})
		if r != nil {
			changed = *r
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := s.Store().(store.Stats).Count(context.Background())
	s.Close(t)

	s2 := servertest.Start(t, servertest.WithDemo(5, 42), servertest.WithConfig(func(c *config.Config) { c.DataDir = dir }))
	r, err := s2.Store().Read(context.Background(), "Organization", "user-made")
	if err != nil || r.Version != changed.Version {
		t.Fatalf("user's write after restart: %v %v", r, err)
	}
	second, _, _ := s2.Store().(store.Stats).Count(context.Background())
	if first != second {
		t.Errorf("restart regenerated the demo: %d resources, then %d", first, second)
	}
}

// A client can create and read back through the real listener.
func TestCreateReadOverHTTP(t *testing.T) {
	s := servertest.Start(t)
	resp, err := http.Post(s.FHIR+"/Patient", "application/fhir+json", strings.NewReader(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, s.FHIR+"/Patient/") {
		t.Fatalf("Location %q not under %s", loc, s.FHIR)
	}
	code, body := get(t, strings.TrimSuffix(loc, "/_history/1"))
	var p struct {
		Meta struct{ VersionID string } `json:"meta"`
	}
	if code != 200 || json.Unmarshal(body, &p) != nil || p.Meta.VersionID != "1" {
		t.Fatalf("read back: %d %s", code, body)
	}
}

// An invalid configuration stops New with a message naming the setting.
func TestNewRejectsBadConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "nowhere"
	cfg.DataDir = t.TempDir()
	_, err := server.New(context.Background(), cfg, server.Options{})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("err = %v", err)
	}
}

// Serve returns when its context ends, and the port is released.
func TestGracefulStop(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	var out bytes.Buffer
	s, err := server.New(context.Background(), cfg, server.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	<-s.Ready()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if !strings.Contains(out.String(), "serving FHIR R4 at "+s.URL()+"/fhir") {
		t.Errorf("ready line missing: %q", out.String())
	}
	if _, err := http.Get(s.URL() + "/healthz"); err == nil {
		t.Error("still answering after stop")
	}
}
