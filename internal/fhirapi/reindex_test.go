package fhirapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"carerecord/internal/search"
	"carerecord/internal/store"
)

// A store written without index rows (as by a carerecord from before the
// index) is found by search only after Reindex, which also leaves a
// resource that changed meanwhile as its own write indexed it.
func TestReindex(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	err := st.Write(ctx, func(tx store.Tx) error {
		for i := range 600 { // more than one reindex batch
			body := fmt.Sprintf(`{"resourceType":"Patient","id":"r%d","name":[{"family":"Reindexed"}],"gender":"female"}`, i)
			if _, err := tx.Put(ctx, store.Put{Type: "Patient", ID: fmt.Sprintf("r%d", i), Body: []byte(body)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServerOn(t, st)
	count := func() int {
		b := s.do("GET", "/Patient?family=reindexed&_total=accurate&_count=1", "").want(t, http.StatusOK).bundle(t)
		if b.Total == nil {
			t.Fatal("no total")
		}
		return *b.Total
	}
	if n := count(); n != 0 {
		t.Fatalf("before reindex: %d found", n)
	}
	if empty, err := st.(store.Reindexer).IndexEmpty(ctx); err != nil || !empty {
		t.Fatalf("IndexEmpty = %v, %v; want true", empty, err)
	}
	n, err := Reindex(ctx, st, search.NewRegistry(search.FHIRPath), nil, nil)
	if err != nil || n != 600 {
		t.Fatalf("Reindex = %d, %v; want 600", n, err)
	}
	if n := count(); n != 600 {
		t.Fatalf("after reindex: %d found, want 600", n)
	}
	if empty, _ := st.(store.Reindexer).IndexEmpty(ctx); empty {
		t.Error("IndexEmpty after reindex")
	}
	// An update is indexed by its own write: the old family is gone.
	s.do("PUT", "/Patient/r1", `{"resourceType":"Patient","id":"r1","name":[{"family":"Changed"}]}`).want(t, http.StatusOK)
	if n := count(); n != 599 {
		t.Errorf("after an update: %d found, want 599", n)
	}
	if b := s.do("GET", "/Patient?family=changed", "").want(t, http.StatusOK).bundle(t); entryIDs(t, b) != "r1" {
		t.Errorf("updated patient: %q", entryIDs(t, b))
	}
}
