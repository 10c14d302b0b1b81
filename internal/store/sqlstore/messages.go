package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"carerecord/internal/store"
)

// The message log (store.MessageRecord): table messages, and
// message_patients for finding them by patient identifier (see the schema
// of store/sqlite). A message costs one INSERT in the group transaction;
// its patient rows are queued like index rows and go in multi-row INSERTs
// at flushIndex, so a batch of messages shares a few statements.

var errBadStatus = errors.New("sqlstore: log message: unknown status")

const logMessage = `INSERT INTO messages
	(received, feed, control_id, type, status, event_time, key, patients, outcome, body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// messagePatientsInsert inserts n message_patients rows.
func messagePatientsInsert(n int) string {
	return "INSERT INTO message_patients (value, system, message_id) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
}

// LogMessage writes m to the message log; see store.Tx.
func (t *txView) LogMessage(ctx context.Context, m store.MessageRecord) (int64, error) {
	if err := t.check(ctx); err != nil {
		return 0, err
	}
	if !m.Status.Valid() {
		return 0, fmt.Errorf("%w %q", errBadStatus, m.Status)
	}
	received := t.g.ts
	if !m.Received.IsZero() {
		received = m.Received.UTC().Truncate(time.Millisecond)
	}
	patients := lines(m.Patients, true)
	body := m.Body
	if body == nil {
		body = []byte{} // NOT NULL
	}
	var id int64
	err := t.stmt(stmtLogMessage).QueryRowContext(context.Background(),
		t.g.s.d.TimeValue(received), text(m.Feed), text(m.ControlID), text(m.Type), string(m.Status),
		text(m.EventTime), text(m.Key), strings.Join(patients, "\n"), strings.Join(lines(m.Outcome, false), "\n"), body,
	).Scan(&id)
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlstore: log message: %w", err))
	}
	for _, p := range patients {
		system, value := splitIdentifier(p)
		t.g.msgRows = append(t.g.msgRows, value, system, id)
	}
	t.bytes += len(body)
	t.g.bytes += len(body)
	return id, nil
}

// text makes s storable as text on every backend: UTF-8 without NUL.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// lineBreaks turns line breaks into spaces.
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

// lines makes each of ls a storable line: text without line breaks.
// Empty lines are dropped, and with distinct repeated ones too.
func lines(ls []string, distinct bool) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		l = lineBreaks.Replace(text(l))
		if l != "" && !(distinct && slices.Contains(out, l)) {
			out = append(out, l)
		}
	}
	return out
}

// splitIdentifier reads "system|value"; a bare value has no system.
func splitIdentifier(p string) (system, value string) {
	if s, v, ok := strings.Cut(p, "|"); ok {
		return s, v
	}
	return "", p
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// flushMessagePatients inserts the queued message_patients rows.
func (g *group) flushMessagePatients(ctx context.Context) error {
	const width = 3
	args := g.msgRows
	for len(args) > 0 {
		rows := len(args) / width
		i := slices.IndexFunc(insertSizes[:], func(n int) bool { return n <= rows })
		n := insertSizes[i]
		if _, err := g.idxStmt(&g.s.idx.msg[i]).ExecContext(ctx, args[:n*width]...); err != nil {
			return fmt.Errorf("sqlstore: insert message log patients: %w", err)
		}
		args = args[n*width:]
	}
	g.msgRows = g.msgRows[:0]
	return nil
}

const messageColumns = `id, received, feed, control_id, type, status, event_time, key, patients, outcome`

// SearchMessages answers a message log search; see store.Store.
func (s *Store) SearchMessages(ctx context.Context, f store.MessageFilter) ([]store.MessageRecord, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	q, args := s.messageQuery(f)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search messages: %w", err)
	}
	defer rows.Close()
	var out []store.MessageRecord
	for rows.Next() {
		m, err := scanMessage(rows, f.WithBody)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: search messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: search messages: %w", err)
	}
	return out, nil
}

// ExplainSearchMessages returns the database's plan for SearchMessages(f),
// for tests that keep each filter on an index.
func (s *Store) ExplainSearchMessages(ctx context.Context, f store.MessageFilter) (string, error) {
	q, args := s.messageQuery(f)
	return s.explain(ctx, q, args)
}

// messageQuery is the SQL of SearchMessages(f), in the dialect's
// placeholders. Each filter is a condition on messages; the patient is
// looked up in message_patients.
func (s *Store) messageQuery(f store.MessageFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	// A patient's messages are few: look them up by the patient first,
	// not by a feed's or a time's index (which SQLite, planning without
	// statistics, would prefer).
	u := ""
	if f.Patient != "" {
		u = s.d.Unindexed
	}
	if f.Feed != "" {
		add(u+"feed = ?", f.Feed)
	}
	switch {
	case f.Type == "":
	case strings.Contains(f.Type, "^"):
		add("type = ?", f.Type)
	default: // every event of the type: the byte range of "TYPE^"
		add("type >= ? AND type < ?", f.Type+"^", f.Type+"_")
	}
	if f.ControlID != "" {
		add("control_id = ?", f.ControlID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.Since.IsZero() {
		add(u+"received >= ?", s.d.TimeValue(ceilMilli(f.Since)))
	}
	if !f.Until.IsZero() {
		add(u+"received < ?", s.d.TimeValue(ceilMilli(f.Until)))
	}
	if f.Patient != "" {
		system, value := splitIdentifier(f.Patient)
		if strings.Contains(f.Patient, "|") {
			add("id IN (SELECT message_id FROM message_patients WHERE value = ? AND system = ?)", value, system)
		} else {
			add("id IN (SELECT message_id FROM message_patients WHERE value = ?)", value)
		}
	}
	if !f.After.IsZero() {
		add("("+u+"received, id) < (?, ?)", s.d.TimeValue(f.After.Received.UTC().Truncate(time.Millisecond)), f.After.ID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultMessageLimit
	}
	limit = min(limit, store.MaxMessageLimit)
	cols := messageColumns
	if f.WithBody {
		cols += ", body"
	}
	q := "SELECT " + cols + " FROM messages"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY received DESC, id DESC LIMIT " + strconv.Itoa(limit)
	return s.d.q(q), args
}

// Message returns one logged message with its body; see store.Store.
func (s *Store) Message(ctx context.Context, id int64) (*store.MessageRecord, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.d.q("SELECT "+messageColumns+", body FROM messages WHERE id = ?"), id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: message %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlstore: message %d: %w", id, err)
		}
		return nil, fmt.Errorf("sqlstore: message %d: %w", id, store.ErrNotFound)
	}
	m, err := scanMessage(rows, true)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: message %d: %w", id, err)
	}
	return &m, nil
}

func scanMessage(rows *sql.Rows, withBody bool) (store.MessageRecord, error) {
	var (
		m                  store.MessageRecord
		at                 instant
		status             string
		patients, outcomes string
	)
	dst := []any{&m.ID, &at, &m.Feed, &m.ControlID, &m.Type, &status, &m.EventTime, &m.Key, &patients, &outcomes}
	if withBody {
		dst = append(dst, &m.Body)
	}
	if err := rows.Scan(dst...); err != nil {
		return m, err
	}
	m.Received, m.Status = at.t, store.MessageStatus(status)
	m.Patients, m.Outcome = splitLines(patients), splitLines(outcomes)
	return m, nil
}

// messagePruneBatch bounds the messages one turn of PruneMessages deletes:
// the writer is held for a short turn between group transactions.
const messagePruneBatch = 1000

// pruneChunk bounds the rows one DELETE names (its arguments).
const pruneChunk = 200

// PruneMessages deletes logged messages received before before; see
// store.Store. Each turn runs through the committer, between group
// transactions, in a transaction of its own: it reads the oldest
// messages' ids and patients, deletes their message_patients rows by
// their whole key and then the messages.
func (s *Store) PruneMessages(ctx context.Context, before time.Time) (int64, error) {
	cut := s.d.TimeValue(ceilMilli(before))
	var total int64
	for {
		var n int64
		err := s.submit(ctx, &request{ctx: ctx, raw: func(db *sql.DB) error {
			var err error
			n, err = s.pruneMessages(ctx, db, cut)
			return err
		}})
		if err != nil {
			return total, fmt.Errorf("sqlstore: prune messages: %w", err)
		}
		total += n
		if n < messagePruneBatch {
			return total, nil
		}
	}
}

func (s *Store) pruneMessages(ctx context.Context, db *sql.DB, cut any) (n int64, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	rows, err := tx.QueryContext(ctx, s.d.q(`SELECT id, patients FROM messages WHERE received < ? ORDER BY received, id LIMIT ?`),
		cut, messagePruneBatch)
	if err != nil {
		return 0, err
	}
	var ids, keys []any // keys: value, system, message_id
	for rows.Next() {
		var (
			id       int64
			patients string
		)
		if err := rows.Scan(&id, &patients); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
		for _, p := range splitLines(patients) { // distinct: LogMessage wrote them
			system, value := splitIdentifier(p)
			keys = append(keys, value, system, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for len(keys) > 0 {
		k := min(len(keys), 3*pruneChunk)
		// OR of whole keys: SQLite takes no list of row values after IN,
		// and PostgreSQL would not type the parameters of a VALUES list.
		q := `DELETE FROM message_patients WHERE ` +
			strings.TrimSuffix(strings.Repeat("(value = ? AND system = ? AND message_id = ?) OR ", k/3), " OR ")
		if _, err := tx.ExecContext(ctx, s.d.q(q), keys[:k]...); err != nil {
			return 0, err
		}
		keys = keys[k:]
	}
	for rest := ids; len(rest) > 0; {
		k := min(len(rest), pruneChunk)
		q := `DELETE FROM messages WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + `)`
		if _, err := tx.ExecContext(ctx, s.d.q(q), rest[:k]...); err != nil {
			return 0, err
		}
		rest = rest[k:]
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return int64(len(ids)), nil
}
