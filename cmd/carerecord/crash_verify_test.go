package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// verify checks the restarted store against everything the workload did.
func (w *workload) verify(t *testing.T, c *client) {
	ctx := context.Background()
	rep := newReport()
	defer rep.flush(t)
	found := &foundSet{m: map[string]int64{}}
	forEach(len(w.singles), func(i int) { w.verifySingle(ctx, c, rep, found, w.singles[i]) })
	forEach(len(w.txns), func(i int) { w.verifyTxn(ctx, c, rep, found, w.txns[i]) })
	w.verifyHistory(t, ctx, c, rep, found)
}

// verifySingle: an acknowledged create is there, each acknowledged version
// reads back byte for byte, and a newer current version is one this client
// attempted.
func (w *workload) verifySingle(ctx context.Context, c *client, rep *report, found *foundSet, s *single) {
	key := s.typ + "/" + s.id
	resp, err := c.do(ctx, http.MethodGet, "/"+key, nil, "")
	if err != nil || resp.status != http.StatusOK {
		rep.add("acknowledged create lost", "GET %s: %v %s (versions acknowledged: %v)", key, err, statusOf(resp), versionsOf(s))
		return
	}
	cur, err := parseETag(resp.header.Get("ETag"))
	if err != nil {
		rep.add("bad read", "GET %s: ETag %q", key, resp.header.Get("ETag"))
		return
	}
	found.add(key, cur)
	acked := versionsOf(s)
	if cur < acked[len(acked)-1] {
		rep.add("acknowledged update lost", "GET %s: current version %d, but version %d was acknowledged", key, cur, acked[len(acked)-1])
	}
	if av, ok := s.acked[cur]; ok {
		if string(resp.body) != string(av.stored) {
			rep.add("acknowledged content changed", "GET %s (version %d): body differs from the acknowledged one:\n got %.400s\nwant %.400s", key, cur, resp.body, av.stored)
		}
	} else if a := w.attempt[markerOf(resp.body)]; a == nil || a.single != s || a.acked {
		rep.add("phantom write", "GET %s: current version %d carries marker %q, which is no unacknowledged update of this resource", key, cur, markerOf(resp.body))
	} else if err := sameContent(a.sent, resp.body); err != nil {
		rep.add("unacknowledged write corrupted", "GET %s (version %d, an unacknowledged update that committed): %v", key, cur, err)
	}
	for _, v := range acked {
		path := fmt.Sprintf("/%s/_history/%d", key, v)
		resp, err := c.do(ctx, http.MethodGet, path, nil, "")
		switch {
		case err != nil || resp.status != http.StatusOK:
			rep.add("acknowledged version unreadable", "vread %s: %v %s", path, err, statusOf(resp))
		case string(resp.body) != string(s.acked[v].stored):
			rep.add("acknowledged content changed", "vread %s: body differs from the acknowledged one:\n got %.400s\nwant %.400s", path, resp.body, s.acked[v].stored)
		}
	}
}

func versionsOf(s *single) []int64 {
	var vs []int64
	for v := range s.acked {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// verifyTxn: every entry of a transaction is present, or none is; when
// present, all come from one attempt, which is the last acknowledged one or
// a later one; every acknowledged attempt reads back by vread.
func (w *workload) verifyTxn(ctx context.Context, c *client, rep *report, found *foundSet, tx *txn) {
	type state struct {
		status  int
		version int64
		marker  string
		body    []byte
	}
	got := make([]state, tx.n)
	present := 0
	for i := range tx.n {
		key := entryKey(tx, i)
		resp, err := c.do(ctx, http.MethodGet, "/"+key, nil, "")
		if err != nil || (resp.status != http.StatusOK && resp.status != http.StatusNotFound) {
			rep.add("bad read", "GET %s: %v %s", key, err, statusOf(resp))
			return
		}
		got[i].status = resp.status
		if resp.status == http.StatusOK {
			present++
			got[i].version, _ = parseETag(resp.header.Get("ETag"))
			got[i].marker, got[i].body = markerOf(resp.body), resp.body
			found.add(key, got[i].version)
		}
	}
	lastAcked := -1
	var attempts []string
	for j, ta := range tx.attempts {
		if ta.acked {
			lastAcked = j
		}
		attempts = append(attempts, fmt.Sprintf("attempt %d acked=%v", j+1, ta.acked))
	}
	switch {
	case present == 0 && lastAcked >= 0:
		rep.add("acknowledged transaction lost", "transaction %s (%d entries, %s): no entry present", tx.id, tx.n, strings.Join(attempts, ", "))
	case present > 0 && present < tx.n:
		var missing []int
		for i, g := range got {
			if g.status != http.StatusOK {
				missing = append(missing, i)
			}
		}
		rep.add("partial transaction", "transaction %s (%d entries, %s): %d entries present, missing entries %v",
			tx.id, tx.n, strings.Join(attempts, ", "), present, missing)
	case present == tx.n:
		w.checkTxnState(rep, tx, lastAcked, func(i int) (int64, string, []byte) { return got[i].version, got[i].marker, got[i].body })
	}
	for _, ta := range tx.attempts {
		if !ta.acked {
			continue
		}
		// The current version was just read entry by entry; vread it at
		// both ends. Older acknowledged versions are vread entry by entry.
		want := func(i int) bool { return true }
		if present == tx.n && got[0].version == ta.version {
			want = func(i int) bool { return i == 0 || i == tx.n-1 }
		}
		for i := range tx.n {
			if !want(i) {
				continue
			}
			path := fmt.Sprintf("/%s/_history/%d", entryKey(tx, i), ta.version)
			resp, err := c.do(ctx, http.MethodGet, path, nil, "")
			switch {
			case err != nil || resp.status != http.StatusOK:
				rep.add("acknowledged version unreadable", "vread %s: %v %s", path, err, statusOf(resp))
			case markerOf(resp.body) != ta.marker:
				rep.add("acknowledged content changed", "vread %s: marker %q, want the acknowledged attempt's %q", path, markerOf(resp.body), ta.marker)
			}
		}
	}
}

// checkTxnState checks a fully present transaction: one version and one
// attempt across its entries, not older than the last acknowledged attempt,
// with the content that attempt sent.
func (w *workload) checkTxnState(rep *report, tx *txn, lastAcked int, entry func(i int) (int64, string, []byte)) {
	v0, m0, _ := entry(0)
	a := w.attempt[m0]
	if a == nil || a.txn != tx {
		rep.add("phantom write", "transaction %s: entry 0 carries marker %q of no attempt at this transaction", tx.id, m0)
		return
	}
	if a.index < lastAcked {
		rep.add("acknowledged update lost", "transaction %s: entries hold attempt %d, but attempt %d was acknowledged later", tx.id, a.index+1, lastAcked+1)
	}
	for i := range tx.n {
		v, m, body := entry(i)
		if v != v0 || m != m0 {
			rep.add("partial transaction", "transaction %s: entry %d is version %d of attempt %q, entry 0 version %d of attempt %q: attempts mixed",
				tx.id, i, v, m, v0, m0)
			return
		}
		if err := sameContent(tx.attempts[a.index].bodies[i], body); err != nil {
			rep.add("acknowledged content changed", "%s: %v", entryKey(tx, i), err)
		}
	}
}

func entryKey(tx *txn, i int) string {
	typ := "Observation"
	if i == 0 {
		typ = "Patient"
	}
	return fmt.Sprintf("%s/%s-%d", typ, tx.id, i)
}

// verifyHistory: the system _history lists each version of each present
// resource exactly once, newest first, and nothing that no write made.
func (w *workload) verifyHistory(t *testing.T, ctx context.Context, c *client, rep *report, found *foundSet) {
	entries := c.systemHistory(ctx, t, true)
	versions := map[string][]int64{}
	bodies := map[string][]byte{}
	for i, e := range entries {
		if i > 0 && e.lastModified.After(entries[i-1].lastModified) {
			rep.add("history order", "_history entry %d (%s version %d) has lastModified %v after the newer entry's %v",
				i, e.key, e.version, e.lastModified, entries[i-1].lastModified)
		}
		versions[e.key] = append(versions[e.key], e.version)
		bodies[fmt.Sprintf("%s@%d", e.key, e.version)] = e.body
		a := w.attempt[e.tag]
		typ, id, _ := strings.Cut(e.key, "/")
		switch {
		case a == nil:
			rep.add("phantom write", "_history lists %s version %d with marker %q, which no write sent", e.key, e.version, e.tag)
		case a.txn != nil && !strings.HasPrefix(id, a.txn.id+"-"):
			rep.add("phantom write", "_history lists %s version %d with the marker of transaction %s", e.key, e.version, a.txn.id)
		case a.txn == nil && (a.typ != typ || a.single != nil && a.single.id != id):
			rep.add("phantom write", "_history lists %s version %d with the marker of a write to another resource", e.key, e.version)
		}
	}
	for key, vs := range versions {
		slices.Sort(vs)
		for i, v := range vs {
			if v != int64(i+1) {
				rep.add("history not exactly once", "_history lists versions %v of %s, want 1..%d each once", vs, key, len(vs))
				break
			}
		}
		cur, ok := found.get(key)
		switch {
		case !ok:
			w.checkUnacknowledgedCreate(ctx, c, rep, key, vs)
		case cur != vs[len(vs)-1]:
			rep.add("history not exactly once", "_history's newest version of %s is %d, the resource is at %d", key, vs[len(vs)-1], cur)
		}
	}
	for key, cur := range found.all() {
		if _, ok := versions[key]; !ok {
			rep.add("history not exactly once", "%s is at version %d but _history does not list it", key, cur)
		}
	}
	for _, s := range w.singles {
		for v, av := range s.acked {
			b := bodies[fmt.Sprintf("%s/%s@%d", s.typ, s.id, v)]
			if b != nil && string(b) != string(av.stored) {
				rep.add("acknowledged content changed", "_history %s/%s version %d differs from the acknowledged body", s.typ, s.id, v)
			}
		}
	}
	t.Logf("_history lists %d versions of %d resources", len(entries), len(versions))
}

// checkUnacknowledgedCreate: a resource only _history revealed must be a
// POST whose answer was lost, committed whole.
func (w *workload) checkUnacknowledgedCreate(ctx context.Context, c *client, rep *report, key string, vs []int64) {
	resp, err := c.do(ctx, http.MethodGet, "/"+key, nil, "")
	if err != nil || resp.status != http.StatusOK {
		rep.add("history not exactly once", "_history lists %s (versions %v) but GET answers %v %s", key, vs, err, statusOf(resp))
		return
	}
	a := w.attempt[markerOf(resp.body)]
	if a == nil || a.acked || a.txn != nil || a.single != nil || vs[len(vs)-1] != 1 {
		rep.add("phantom write", "%s (versions %v) is no unacknowledged create", key, vs)
		return
	}
	if err := sameContent(a.sent, resp.body); err != nil {
		rep.add("unacknowledged write corrupted", "%s: %v", key, err)
	}
}

// sameContent compares a sent resource with a stored one, ignoring what the
// server sets: id (when the client sent none), meta.versionId and
// meta.lastUpdated.
func sameContent(sent, stored []byte) error {
	var a, b map[string]any
	if err := json.Unmarshal(sent, &a); err != nil {
		return fmt.Errorf("sent body: %w", err)
	}
	if err := json.Unmarshal(stored, &b); err != nil {
		return fmt.Errorf("stored body is not JSON: %w", err)
	}
	if _, ok := a["id"]; !ok {
		delete(b, "id")
	}
	for _, r := range []map[string]any{a, b} {
		if m, ok := r["meta"].(map[string]any); ok {
			delete(m, "versionId")
			delete(m, "lastUpdated")
			if len(m) == 0 {
				delete(r, "meta")
			}
		}
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("content differs:\n sent %.400s\n read %.400s", sent, stored)
	}
	return nil
}

// foundSet is every resource the checks found, with its current version.
type foundSet struct {
	mu sync.Mutex
	m  map[string]int64
}

func (f *foundSet) add(key string, v int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[key] = v
}

func (f *foundSet) get(key string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[key]
	return v, ok
}

func (f *foundSet) all() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m
}

// report collects broken guarantees by rule: every count, and the first few
// examples of each, so that a failure names precisely what was lost.
type report struct {
	mu       sync.Mutex
	counts   map[string]int
	examples map[string][]string
}

func newReport() *report { return &report{counts: map[string]int{}, examples: map[string][]string{}} }

func (r *report) add(rule, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[rule]++
	if len(r.examples[rule]) < 10 {
		r.examples[rule] = append(r.examples[rule], fmt.Sprintf(format, args...))
	}
}

func (r *report) flush(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rule := range slices.Sorted(maps.Keys(r.counts)) {
		t.Errorf("%s: %d times; first %d:\n  %s", rule, r.counts[rule], len(r.examples[rule]), strings.Join(r.examples[rule], "\n  "))
	}
}

// forEach runs fn(0..n-1) on 16 goroutines.
func forEach(n int, fn func(i int)) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
