package storetest

import (
	"context"
	"fmt"
	"testing"

	"carerecord/internal/store"
)

// Footprint writes n ~1 KB Observations, each with one identifier token,
// then asks size for the bytes the backend holds on disk. It logs the bytes
// per resource beside the body size and fails when they exceed limit times
// the body, so a schema change that bloats storage is caught. The figure is
// the one docs/scale-out.md quotes.
func Footprint(t *testing.T, s store.Store, n int, limit float64, size func(context.Context) (int64, error)) {
	t.Helper()
	ctx := context.Background()
	var bodyBytes int
	err := s.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			r, err := tx.Put(ctx, store.Put{Type: "Observation", ID: fmt.Sprintf("obs-%08d", i), Body: Observation("footprint"),
				Index: Identifiers(Ident("https://example.org/lab", fmt.Sprint(1000000+i)))})
			if err != nil {
				return err
			}
			bodyBytes += len(r.Body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total, err := size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perResource, perBody := float64(total)/float64(n), float64(bodyBytes)/float64(n)
	t.Logf("%d resources: %d bytes on disk, %.0f bytes per resource for a %.0f-byte body (%.2fx)",
		n, total, perResource, perBody, perResource/perBody)
	if perResource > limit*perBody {
		t.Errorf("%.0f bytes per resource on disk, more than %.1f times the %.0f-byte body", perResource, limit, perBody)
	}
}
