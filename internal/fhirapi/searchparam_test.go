package fhirapi

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"carerecord/internal/search"
)

const favouriteColour = `{"resourceType":"SearchParameter","id":"fav","url":"http://example.org/SearchParameter/favourite-colour",
	"name":"FavouriteColour","status":"active","description":"A patient's favourite colour","code":"favourite-colour",
	"base":["Patient"],"type":"token","expression":"Patient.extension('http://example.org/fav').value"}`

// A SearchParameter POSTed through the API makes existing and new
// resources searchable by it once the background reindex has run, and is
// registered again from the store by a new server.
func TestCustomSearchParameter(t *testing.T) {
	s := newTestServer(t)
	withColour := func(id, colour string) string {
		return `{"resourceType":"Patient","id":"` + id + `","extension":[{"url":"http://example.org/fav","valueCode":"` + colour + `"}]}`
	}
	s.do("PUT", "/Patient/before", withColour("before", "green")).want(t, http.StatusCreated)
	s.do("GET", "/Patient?favourite-colour=green", "", "Prefer", "handling=strict").want(t, http.StatusBadRequest)

	s.do("PUT", "/SearchParameter/fav", favouriteColour).want(t, http.StatusCreated)
	s.do("PUT", "/Patient/after", withColour("after", "green")).want(t, http.StatusCreated)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b := s.do("GET", "/Patient?favourite-colour=green&_sort=_id", "", "Prefer", "handling=strict").want(t, http.StatusOK).bundle(t)
		if got := entryIDs(t, b); got == "after,before" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("found %q, want after,before (the reindex of existing patients did not happen)", got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A new server over the same store knows the parameter.
	reg := search.NewRegistry(search.FHIRPath)
	if n, err := LoadSearchParameters(context.Background(), s.st, reg, slog.Default()); err != nil || n != 1 {
		t.Fatalf("LoadSearchParameters = %d, %v; want 1", n, err)
	}
	if reg.Lookup("Patient", "favourite-colour") == nil {
		t.Error("the stored parameter is not registered")
	}

	// One the engine cannot use is refused, and not stored.
	bad := `{"resourceType":"SearchParameter","url":"http://example.org/sp/bad","name":"Bad","status":"active","description":"x",
		"code":"bad","base":["Patient"],"type":"token","expression":"Patient.name.where("}`
	s.do("POST", "/SearchParameter", bad).wantOutcome(t, http.StatusBadRequest, "invalid", "SearchParameter")
}
