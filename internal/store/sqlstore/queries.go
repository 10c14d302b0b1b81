package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Statement indexes. The same text is prepared on the read pool (reads
// outside a write) and on the writer (reads and writes inside one).
const (
	stmtCurrent       = iota // current version with body, by type+id
	stmtMeta                 // current version, deleted flag and seq, no body
	stmtVRead                // one version by type+id+version
	stmtTokens               // ids by type+param+value
	stmtTokensSys            // ids by type+param+value+system
	stmtInsVersion           // new row in resource_versions, returns seq
	stmtInsResource          // first version of a resource: its resources row
	stmtUpdResource          // point resources at a new version
	stmtChanges              // the change feed after a seq
	stmtWriteVersion         // Dialect.WriteVersion, when set
	stmtNewest               // seq and LastUpdated of the newest version
	stmtClaimResource        // a create's resources row, unless the resource has one
	stmtOnce                 // record a Tx.Once key, unless recorded
	stmtLogMessage           // a message log row, returns its id
	stmtSavepoint            // savepoint statements of the committer
	stmtRelease
	stmtRollbackTo
	numStmts
)

var stmtText = [numStmts]string{
	stmtCurrent: `SELECT r.version, r.deleted, r.seq, v.last_updated, v.body
		FROM resources r JOIN resource_versions v ON v.seq = r.seq
		WHERE r.type = ? AND r.id = ?`,
	stmtMeta: `SELECT version, deleted, seq FROM resources WHERE type = ? AND id = ?`,
	stmtVRead: `SELECT seq, last_updated, deleted, body FROM resource_versions
		WHERE type = ? AND id = ? AND version = ?`,
	// Token lookups leave sorting and de-duplication to queryIDs.
	stmtTokens:    findByToken,
	stmtTokensSys: findByToken + ` AND t.system = ?`,
	stmtInsVersion: `INSERT INTO resource_versions (type, id, version, last_updated, deleted, body)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`, // insVersionSeq with Dialect.AssignSeq
	stmtInsResource: `INSERT INTO resources (type, id, version, deleted, seq) VALUES (?, ?, ?, ?, ?)`,
	stmtUpdResource: `UPDATE resources SET version = ?, deleted = ?, seq = ? WHERE type = ? AND id = ?`,
	stmtChanges:     `SELECT ` + versionColumns + ` FROM resource_versions WHERE seq > ? ORDER BY seq LIMIT ?`,
	stmtNewest:      `SELECT seq, last_updated FROM resource_versions ORDER BY seq DESC LIMIT 1`,
	stmtClaimResource: `INSERT INTO resources (type, id, version, deleted, seq) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (type, id) DO NOTHING`,
	stmtOnce:       `INSERT INTO applied_keys (key, applied_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
	stmtLogMessage: logMessage,
	stmtSavepoint:  `SAVEPOINT w`,
	stmtRelease:    `RELEASE SAVEPOINT w`,
	stmtRollbackTo: `ROLLBACK TO SAVEPOINT w`,
}

// findByToken finds ids by a token of a parameter (type, code, value).
const findByToken = `SELECT v.id FROM search_params p
	JOIN idx_token t ON t.pid = p.pid
	JOIN resource_versions v ON v.seq = t.seq
	WHERE p.type = ? AND p.code = ? AND p.component = 0 AND t.code = ?`

// Statements that only the reader or only the writer needs.
var (
	readStmts  = []int{stmtCurrent, stmtVRead, stmtTokens, stmtTokensSys, stmtChanges}
	writeStmts = []int{stmtCurrent, stmtMeta, stmtTokens, stmtTokensSys,
		stmtInsVersion, stmtInsResource, stmtUpdResource,
		stmtWriteVersion, stmtNewest, stmtClaimResource, stmtOnce, stmtLogMessage, stmtSavepoint, stmtRelease, stmtRollbackTo}
)

// insVersionSeq is stmtInsVersion with Dialect.AssignSeq: seq is the first
// argument.
const insVersionSeq = `INSERT INTO resource_versions (seq, type, id, version, last_updated, deleted, body)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

const versionColumns = `seq, type, id, version, last_updated, deleted, body`

// prepare prepares the listed statements on db.
func prepare(ctx context.Context, db *sql.DB, d Dialect, which []int) ([numStmts]*sql.Stmt, error) {
	var out [numStmts]*sql.Stmt
	for _, i := range which {
		text := stmtText[i]
		switch {
		case i == stmtInsVersion && d.AssignSeq:
			text = insVersionSeq
		case i == stmtClaimResource && !d.AssignSeq:
			continue
		case i == stmtWriteVersion:
			if text = d.WriteVersion; text == "" {
				continue
			}
		}
		st, err := db.PrepareContext(ctx, d.q(text))
		if err != nil {
			closeStmts(out[:])
			return out, fmt.Errorf("sqlstore: prepare statement %d: %w", i, err)
		}
		out[i] = st
	}
	return out, nil
}

func closeStmts(stmts []*sql.Stmt) {
	for _, st := range stmts {
		if st != nil {
			_ = st.Close()
		}
	}
}

// instant scans last_updated stored either as Unix milliseconds or as a
// timestamp.
type instant struct{ t time.Time }

func (in *instant) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		in.t = time.UnixMilli(v).UTC()
	case time.Time:
		in.t = v.UTC()
	default:
		return fmt.Errorf("sqlstore: last_updated of type %T", src)
	}
	return nil
}

// ceilMilli rounds t up to the next millisecond, so that comparing a stored
// millisecond instant with it gives the same answer as comparing with t.
func ceilMilli(t time.Time) time.Time {
	m := t.Truncate(time.Millisecond)
	if m.Before(t) {
		m = m.Add(time.Millisecond)
	}
	return m.UTC()
}
