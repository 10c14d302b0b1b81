// Package store owns the record store's contract: FHIR resources kept as
// their JSON with every version, an ordered change feed across the whole
// store, and atomic multi-resource writes; beside them, the integration
// engine's inbox of applied messages and its message log (messages.go),
// written in the same transactions.
//
// The contract is small on purpose. Backends (store/sqlite, store/postgres)
// implement Store; store/storetest is the one conformance suite every backend
// must pass. Only packages under store/ import a SQL driver. Callers above
// (fhirapi, ingest, mpi, ...) depend on these interfaces, never on a backend.
//
// Conditions a caller branches on are sentinel errors: ErrNotFound, ErrGone,
// ErrVersionConflict. Everything else is an internal failure.
package store

import (
	"context"
	"errors"
	"time"

	"carerecord/internal/search"
)

// Sentinel errors. Backends wrap them with %w; test with errors.Is.
var (
	// ErrNotFound: the resource (or version) never existed.
	ErrNotFound = errors.New("store: not found")
	// ErrGone: the resource existed and its current version is a deletion.
	ErrGone = errors.New("store: deleted")
	// ErrVersionConflict: an If-Match version did not equal the current one.
	ErrVersionConflict = errors.New("store: version conflict")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store: closed")
)

// Resource is one version of one FHIR resource as stored.
type Resource struct {
	Type        string    // FHIR resource type, e.g. "Patient"
	ID          string    // logical id
	Version     int64     // meta.versionId, 1 for the first version
	LastUpdated time.Time // meta.lastUpdated, UTC, millisecond precision
	Deleted     bool      // this version is a deletion (Body is nil)
	Seq         int64     // change-feed position of this version; unique, increasing in commit order
	Body        []byte    // the resource JSON with id and meta.versionId/lastUpdated set; nil when Deleted
}

// Put is a create-or-update of one resource.
type Put struct {
	Type string
	ID   string
	// Body is the resource JSON. The store sets id, meta.versionId and
	// meta.lastUpdated in the stored copy; other meta elements are kept.
	Body []byte
	// IfMatch, when non-zero, requires the current version to equal it
	// (ErrVersionConflict otherwise, also when the resource does not exist).
	IfMatch int64
	// IfNoneExist, when true, fails with ErrVersionConflict if the resource
	// already exists and is not deleted (a plain create with a chosen id).
	IfNoneExist bool
	// Index replaces the resource's search index rows (nil: the resource
	// is stored but not searchable until reindexed). It is written in the
	// same transaction as the version. Rows of _id and _lastUpdated are
	// ignored: every backend answers those from the resource's own columns.
	Index *search.Index
}

// Tx is the view of the store inside one atomic write. Reads see the
// transaction's own earlier writes. A Tx must not be used after the function
// it was passed to returns.
type Tx interface {
	// Read returns the current version, ErrNotFound, or ErrGone (with the
	// deleted version's metadata in the returned Resource).
	Read(ctx context.Context, typ, id string) (*Resource, error)
	// FindByToken returns the ids of current, not-deleted resources of typ
	// whose index has a token row of param with Code value, and System
	// system when system != "".
	FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error)
	// Put writes a new version (version = current+1, or 1). It returns the
	// stored version with its Body.
	Put(ctx context.Context, p Put) (*Resource, error)
	// Delete writes a deletion version. Deleting a resource that never
	// existed returns ErrNotFound; deleting one already deleted returns the
	// existing deletion and writes nothing. ifMatch as in Put.
	Delete(ctx context.Context, typ, id string, ifMatch int64) (*Resource, error)
	// Once records key in the store's inbox of applied keys, in this
	// transaction, and reports whether it was new: false when the key was
	// recorded before, by this transaction or by one committed earlier. A
	// caller that applies outside input exactly once (a queued message,
	// named by its feed and queue position) calls Once first and writes
	// nothing when it returns false. The key commits with the transaction's
	// other writes or not at all: a Write that fails leaves no key. Keys are
	// opaque, 1 to MaxOnceKey bytes, and share one namespace across the
	// store, so callers prefix them with what they apply (e.g. "v2:").
	// Store.PruneOnce forgets old keys.
	Once(ctx context.Context, key string) (first bool, err error)
	// LogMessage adds m to the store's message log (see MessageRecord) in
	// this transaction and returns the ID it gave it: the log commits with
	// the writes of the message it describes or not at all. m.ID is
	// ignored; m.Status must be valid. Text that is not UTF-8, and NUL
	// bytes, are replaced; line breaks in Patients and Outcome become
	// spaces.
	LogMessage(ctx context.Context, m MessageRecord) (id int64, err error)
}

// MaxOnceKey is the longest key Tx.Once accepts, in bytes.
const MaxOnceKey = 255

// HistoryQuery selects versions for _history. Type and ID narrow it to a
// type or an instance; both empty means the whole system.
type HistoryQuery struct {
	Type  string
	ID    string
	Since time.Time // only versions with LastUpdated >= Since (zero: all)
	// BeforeSeq, when non-zero, returns only versions with Seq < BeforeSeq:
	// the cursor for the next page, which stays stable while data changes.
	BeforeSeq int64
	Count     int // page size; backends cap it at 1000 and default to 100
}

// Store is the record store. Implementations are safe for concurrent use.
type Store interface {
	// Read returns the current version of a resource, ErrNotFound, or
	// ErrGone (with the deletion's metadata in the returned Resource).
	Read(ctx context.Context, typ, id string) (*Resource, error)
	// VRead returns one version (a deletion version has Deleted set), or ErrNotFound.
	VRead(ctx context.Context, typ, id string, version int64) (*Resource, error)
	// History returns versions newest first (descending Seq).
	History(ctx context.Context, q HistoryQuery) ([]Resource, error)
	// FindByToken is Tx.FindByToken outside a write.
	FindByToken(ctx context.Context, typ, param, system, value string) ([]string, error)
	// Write runs fn in one atomic transaction: every Put and Delete in it
	// commits together or not at all. If fn returns an error nothing is
	// written and Write returns that error. When Write returns nil the
	// changes are durable. Backends may commit several concurrent Writes in
	// one database transaction (group commit); each keeps its own atomicity.
	// fn may be called more than once (a backend retries it when another
	// Write of its group failed), so it must have no effects outside tx
	// other than recording its results.
	Write(ctx context.Context, fn func(Tx) error) error
	// Changes returns committed versions with Seq > after, in Seq order, at
	// most limit of them: the change feed. A reader saves the last Seq it
	// handled and resumes from there.
	Changes(ctx context.Context, after int64, limit int) ([]Resource, error)
	// PruneOnce deletes the keys Tx.Once recorded before the instant before
	// (each key keeps the LastUpdated of the transaction that recorded it)
	// and returns how many it deleted: the inbox's retention. A message
	// delivered again after its key was pruned is applied again, so keep
	// keys longer than any message can wait to be redelivered.
	PruneOnce(ctx context.Context, before time.Time) (int64, error)
	// SearchMessages returns logged messages matching f, newest Received
	// first (by ID among equal instants), without their bodies unless
	// f.WithBody.
	SearchMessages(ctx context.Context, f MessageFilter) ([]MessageRecord, error)
	// Message returns one logged message with its body, or ErrNotFound.
	Message(ctx context.Context, id int64) (*MessageRecord, error)
	// PruneMessages deletes logged messages Received before the instant
	// before and returns how many: the message log's retention. Like
	// PruneOnce it deletes in short batches between other writes.
	PruneMessages(ctx context.Context, before time.Time) (int64, error)
	// Close releases the store. Pending Writes finish first.
	Close() error
}

// Stats is an optional ability: backends that can count report their size.
type Stats interface {
	// Count returns the number of current, not-deleted resources and of
	// stored versions.
	Count(ctx context.Context) (resources, versions int64, err error)
}

// Searcher is the store's search: backends that keep the typed index
// tables (Put.Index) answer a parsed search.Query with one page of matches.
type Searcher interface {
	Search(ctx context.Context, q *search.Query, opts SearchOptions) (*Page, error)
}

// SearchOptions are the server's limits and context for one search.
type SearchOptions struct {
	// DefaultCount is the page size when the query has no _count;
	// MaxCount caps _count. Zero: 50 and 1000.
	DefaultCount, MaxCount int
	// MaxIncluded caps the resources _include and _revinclude add to one
	// page (zero: 1000); the Page says when it was reached.
	MaxIncluded int
	// Registry resolves the reference parameters of _include Type:*; nil
	// leaves wildcard includes empty.
	Registry *search.Registry
	// Now is the clock for ap on dates (zero: time.Now).
	Now time.Time
}

// Page is one page of a search.
type Page struct {
	Matches  []Resource // in the requested order
	Included []Resource // from _include and _revinclude, each once, none of them a match
	// IncludeCapped reports that MaxIncluded stopped _include early.
	IncludeCapped bool
	// Total is the number of matches on all pages, or -1 when not counted
	// (_total=none, or by default when more than one page matches).
	Total int64
	// Next and Previous are cursors (search.Query.Cursor) for the pages
	// after and before this one; "" when there is none. They name a
	// position in the sort order, not an offset, so they stay right while
	// resources are added and removed.
	Next, Previous string
}

// Scanner is an optional ability: backends that can list the current,
// not-deleted resources of a type in id order, for exports and reindexing.
type Scanner interface {
	// Scan returns at most limit current resources of typ with id > afterID
	// (in byte order of id) and, when since is not zero, LastUpdated >=
	// since.
	Scan(ctx context.Context, typ, afterID string, since time.Time, limit int) ([]Resource, error)
}

// Reindexer is an optional ability: backends with a search index can
// replace the index rows of current versions without writing new ones
// (after the search parameters changed, or for data stored before).
type Reindexer interface {
	// Reindex replaces, in one transaction, the index rows of each
	// resource rs[i] (as Scan returned it) with xs[i], when rs[i] is still
	// its resource's current version; it returns how many it replaced
	// (a resource changed since the Scan was indexed by that change).
	Reindex(ctx context.Context, rs []Resource, xs []*search.Index) (int, error)
	// IndexEmpty reports whether no resource has index rows, while some
	// resources exist: a store written before the index (or by a tool that
	// did not index) needs a reindex.
	IndexEmpty(ctx context.Context) (bool, error)
}
