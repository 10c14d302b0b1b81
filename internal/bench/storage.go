package bench

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"carerecord/internal/store"
)

// Optional store abilities the storage figure uses when a backend has them.
type (
	// sizer reports the store's size on disk in bytes.
	sizer interface {
		Size(ctx context.Context) (int64, error)
	}
	// checkpointer folds the write-ahead log back into the database.
	checkpointer interface {
		Checkpoint(ctx context.Context) error
	}
)

// bigRun bulk-loads Resources Observations, reads across them while
// sampling the process's memory, then measures the store on disk.
func (r *allRun) bigRun(ctx context.Context) {
	n := r.o.Resources
	r.step(fmt.Sprintf("bulk load %s Observations", thousands(float64(n))))
	posters := 2 * runtime.GOMAXPROCS(0)
	bulk, err := r.o.Load.BulkLoad(ctx, n, r.o.Batch, posters, r.o.BulkTimeout)
	if err != nil {
		r.failed("bulk load", err)
		return
	}
	r.rep.Rows = append(r.rep.Rows, Row{
		Name: fmt.Sprintf("bulk load: transaction Bundles of %d Observations over HTTP, %d clients%s", r.o.Batch, posters, storeTag(r.store)),
		Figure: fmt.Sprintf("%s resources/s (%s in %.1f s); Bundle p50 %s, p99 %s",
			thousands(bulk.ResourceRate()), thousands(float64(bulk.Written)), bulk.Elapsed.Seconds(),
			ms(bulk.Latency.Quantile(0.5)), ms(bulk.Latency.Quantile(0.99))),
		Goal: "—",
	})
	total, versions := r.count(ctx, bulk.Written)

	r.step(fmt.Sprintf("read across %s resources, sampling memory", thousands(float64(total))))
	runtime.GC()
	debug.FreeOSMemory()
	sampler := sampleMemory(ctx, 100*time.Millisecond)
	res, err := r.o.Load.ReadBulk(ctx, &bulk)
	peak, memErr := sampler.Stop()
	if err != nil {
		r.failed("read (bulk)", err)
		return
	}
	r.rep.Rows = append(r.rep.Rows, ReadRow(&res, bulk.N, r.store))
	r.rep.Rows = append(r.rep.Rows, r.memoryRow(peak, memErr, total))
	r.rep.Rows = append(r.rep.Rows, r.diskRow(ctx, total, versions))
}

// count asks the store how many resources and versions it holds, or
// falls back to what the bulk load wrote.
func (r *allRun) count(ctx context.Context, fallback int64) (resources, versions int64) {
	if st, ok := r.srv.Store().(store.Stats); ok {
		if n, v, err := st.Count(ctx); err == nil {
			return n, v
		}
	}
	return fallback, fallback
}

func (r *allRun) memoryRow(peak Memory, err error, total int64) Row {
	row := Row{Name: fmt.Sprintf("memory (RSS) serving reads over %s resources%s", thousands(float64(total)), storeTag(r.store))}
	if err != nil {
		row.Figure, row.Goal = "n/a: "+err.Error(), "< 300 MB serving 1,000,000 resources"
		return row
	}
	row.Figure = fmt.Sprintf("%s peak VmRSS (%s anonymous, %s mapped database file), whole process: server and load generator",
		mb(peak.RSS), mb(peak.Anon), mb(peak.File))
	if total >= GoalRSSAt {
		row.Goal = goal("< 300 MB serving 1,000,000 resources", peak.RSS < GoalRSS)
	} else {
		row.Goal = "< 300 MB serving 1,000,000 resources (not comparable: fewer resources; use --big)"
	}
	r.rep.Notes = append(r.rep.Notes, "Memory: VmRSS of the one process holding server and load generator, sampled every 100 ms during the reads, after a GC returned freed memory to the OS. Mapped file pages are the database read through mmap; the kernel can drop them under pressure.")
	return row
}

// diskRow measures the store on disk: a backend's own Size when it has
// one, else the files in the SQLite folder (database, WAL and shared
// memory), before and after a checkpoint when the store can checkpoint.
func (r *allRun) diskRow(ctx context.Context, total, versions int64) Row {
	row := Row{Name: fmt.Sprintf("bytes on disk per resource, %s resources, %s versions%s",
		thousands(float64(total)), thousands(float64(versions)), storeTag(r.store)), Goal: "—"}
	if total <= 0 {
		row.Figure = "n/a: the store is empty"
		return row
	}
	st := r.srv.Store()
	if s, ok := st.(sizer); ok {
		n, err := s.Size(ctx)
		if err != nil {
			row.Figure = "n/a: " + err.Error()
			return row
		}
		row.Figure = fmt.Sprintf("%s B/resource (%s in all, as the store reports it)", thousands(float64(n)/float64(total)), mb(n))
		return row
	}
	if r.dir == "" || r.o.PostgresDSN != "" {
		row.Figure = "n/a: the store does not report its size"
		return row
	}
	before, err := dirSize(r.dir)
	if err != nil {
		row.Figure = "n/a: " + err.Error()
		return row
	}
	row.Figure = fmt.Sprintf("%s B/resource (%s of database, WAL and shared-memory files)",
		thousands(float64(before)/float64(total)), mb(before))
	if c, ok := st.(checkpointer); ok {
		if err := c.Checkpoint(ctx); err == nil {
			if after, err := dirSize(r.dir); err == nil {
				row.Figure = fmt.Sprintf("%s B/resource after a WAL checkpoint (%s); %s B/resource before it (%s incl. WAL)",
					thousands(float64(after)/float64(total)), mb(after), thousands(float64(before)/float64(total)), mb(before))
			}
		}
	}
	return row
}

// dirSize adds up the sizes of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bench: size of the data folder: %w", err)
	}
	return n, nil
}
