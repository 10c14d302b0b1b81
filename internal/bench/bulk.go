package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// Bulk is a bulk load: N Observations PUT with known ids in transaction
// Bundles, so that reads can later pick any of them without keeping a list.
type Bulk struct {
	Prefix  string // ids are Prefix-0 .. Prefix-(N-1)
	N       int    // Observations asked for
	Written int64  // Observations in Bundles that committed
	Result         // one sample per Bundle
}

// ResourceRate is Observations written per second.
func (b *Bulk) ResourceRate() float64 {
	if b.Elapsed <= 0 {
		return 0
	}
	return float64(b.Written) / b.Elapsed.Seconds()
}

// id returns the i-th id of the load.
func (b *Bulk) id(i int) string { return b.Prefix + "-" + strconv.Itoa(i) }

// BulkLoad writes n Observations as transaction Bundles of batch entries,
// posted by posters concurrent clients, within timeout.
func (l Load) BulkLoad(ctx context.Context, n, batch, posters int, timeout time.Duration) (Bulk, error) {
	l, err := l.withDefaults()
	if err != nil {
		return Bulk{}, err
	}
	batch = max(1, batch)
	posters = max(1, posters)
	c := newClient(l.BaseURL, posters)
	defer c.close()
	b := Bulk{Prefix: "bulk" + runPrefix(), N: n}
	bundles := (n + batch - 1) / batch
	var next, written atomic.Int64
	b.Result = runLoad(ctx, "bulk load", posters, timeout, int64(bundles), l.observationWorkers(b.Prefix),
		func(ctx context.Context, w *worker) error {
			k := int(next.Add(1) - 1)
			first, last := k*batch, min(n, (k+1)*batch)
			if first >= last {
				return nil
			}
			if err := c.transaction(ctx, b.bundle(w.gen, first, last)); err != nil {
				return err
			}
			written.Add(int64(last - first))
			return nil
		})
	b.Written = written.Load()
	if err := ctx.Err(); err != nil {
		return b, err
	}
	if b.Errors > 0 || b.Written < int64(n) {
		return b, fmt.Errorf("bench: bulk load: %d of %d Observations written, %d Bundles failed: %w",
			b.Written, n, b.Errors, firstProblem(b.Result))
	}
	return b, nil
}

// bundle builds a transaction of PUT Observation/<id> for ids first..last-1.
func (b *Bulk) bundle(g *observationGen, first, last int) []byte {
	buf := make([]byte, 0, (last-first)*1400+64)
	buf = append(buf, `{"resourceType":"Bundle","type":"transaction","entry":[`...)
	for i := first; i < last; i++ {
		if i > first {
			buf = append(buf, ',')
		}
		id := b.id(i)
		buf = append(buf, `{"resource":`...)
		buf = g.appendNext(buf, id)
		buf = append(buf, `,"request":{"method":"PUT","url":"Observation/`...)
		buf = append(buf, id...)
		buf = append(buf, `"}}`...)
	}
	return append(buf, `]}`...)
}

// ReadBulk measures reads by id spread over the whole bulk load.
func (l Load) ReadBulk(ctx context.Context, b *Bulk) (Result, error) {
	l, err := l.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if b.N == 0 {
		return Result{}, fmt.Errorf("bench: read: the bulk load is empty")
	}
	c := newClient(l.BaseURL, l.Clients)
	defer c.close()
	return l.readIDs(ctx, c, "read (bulk)", func(r *rand.Rand) string { return b.id(r.IntN(b.N)) })
}
