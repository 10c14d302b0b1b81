package sqlstore

import (
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the SQL databases sqlstore runs on. The
// queries themselves are shared: they are written with ? placeholders and
// use only syntax both SQLite and PostgreSQL accept (INSERT ... RETURNING,
// INSERT ... ON CONFLICT DO UPDATE).
type Dialect struct {
	// Name names the database in errors and logs, e.g. "sqlite".
	Name string
	// Rebind rewrites a query written with ? placeholders into the driver's
	// style. Nil keeps ? (SQLite); DollarPlaceholders gives $1, $2, ...
	Rebind func(query string) string
	// TimeValue turns a last_updated instant (UTC, millisecond precision)
	// into the driver argument stored in resource_versions.last_updated.
	// Scanning accepts either an integer of Unix milliseconds or a
	// time.Time, so the column may be either.
	TimeValue func(time.Time) any
	// AssignSeq numbers new versions in the committer instead of asking
	// the database (INSERT ... RETURNING seq): each group transaction reads
	// the newest seq once, after it took the write lock, and counts up. It
	// is for databases with one writer at a time whose seq is a plain
	// integer key (SQLite: the rowid, which would be max+1 anyway). Knowing
	// seq before the insert lets a create claim its resources row first:
	// INSERT ... ON CONFLICT DO NOTHING both says whether the resource
	// exists and points it at the version, saving a read per create.
	AssignSeq bool
	// WriteVersion, when set, is one statement that inserts a version and
	// points resources at it, returning seq, with the arguments (type, id,
	// version, last_updated, deleted, body). It saves a round trip per write
	// where the database allows data-modifying CTEs (PostgreSQL). Empty: two
	// statements.
	WriteVersion string
	// LockFeed, when set, is run first in every group transaction. It must
	// serialise seq assignment with commit order across every process that
	// writes the database (PostgreSQL: a transaction-scoped advisory lock).
	// SQLite leaves it empty: its single writer already does that.
	LockFeed string
	// Checkpoint and Vacuum are run outside any transaction, through the
	// committer, by (*Store).Checkpoint and (*Store).Vacuum. Empty: no-op.
	Checkpoint string
	Vacuum     string
	// BodyText and NarrativeText are SQL expressions of the text of a
	// resource body ($body stands for the body column) and of its
	// narrative (text.div), for _content and _text.
	BodyText, NarrativeText string
	// Unindexed is put before a column reference that must not steer the
	// planner to an index: the value columns of a filter that is looked up
	// by its (seq, pid) primary key. SQLite: "+" (without statistics its
	// planner preferred the lookup index on (pid, value), scanning every
	// resource with the value to find one seq). PostgreSQL: "".
	Unindexed string
	// Explain is put before a query to get its plan ("EXPLAIN QUERY PLAN "
	// on SQLite, "EXPLAIN " on PostgreSQL).
	Explain string
}

// UnixMillis is a TimeValue that stores Unix milliseconds (SQLite INTEGER).
func UnixMillis(t time.Time) any { return t.UnixMilli() }

// TimeAsIs is a TimeValue that passes time.Time to the driver (timestamptz).
func TimeAsIs(t time.Time) any { return t }

// DollarPlaceholders rewrites ? placeholders to $1, $2, ... (PostgreSQL).
// The shared queries contain no ? inside string literals.
func DollarPlaceholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (d Dialect) q(query string) string {
	if d.Rebind == nil {
		return query
	}
	return d.Rebind(query)
}
