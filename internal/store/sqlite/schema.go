package sqlite

// migrations are the schema versions in order; see sqlstore.Migrate. Never
// edit a released one: append.
//
// resource_versions holds every version, the current one included; read in
// seq order it is the change feed. seq is the INTEGER PRIMARY KEY (the
// rowid), given out by the single writer, so seq order is commit order. Rows
// are never deleted, so a seq is never reused.
//
// last_updated never decreases as seq grows (sqlstore stamps each group
// transaction no earlier than the newest version), so _since becomes a seq
// bound found through resource_versions_time.
//
// resources points at each resource's current version (no second copy of
// the body). compartment is reserved for the patient compartment, to shard
// by patient later; nothing fills it yet.
//
// resource_tokens (version 1) held identifier tokens; version 2 replaces it
// with the typed search index (see indexSchema).
//
// applied_keys (version 3) is the inbox of store.Tx.Once: each key with the
// LastUpdated (Unix milliseconds) of the transaction that recorded it, which
// store.Store.PruneOnce deletes by through applied_keys_time.
var migrations = []string{
	`CREATE TABLE resource_versions (
		seq          INTEGER PRIMARY KEY,
		type         TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		version      INTEGER NOT NULL,
		last_updated INTEGER NOT NULL, -- Unix milliseconds, UTC
		deleted      INTEGER NOT NULL,
		body         BLOB
	);
	CREATE UNIQUE INDEX resource_versions_instance ON resource_versions (type, id, version);
	CREATE INDEX resource_versions_type ON resource_versions (type, seq);
	CREATE INDEX resource_versions_time ON resource_versions (last_updated, seq);

	CREATE TABLE resources (
		type        TEXT    NOT NULL,
		id          TEXT    NOT NULL,
		version     INTEGER NOT NULL,
		deleted     INTEGER NOT NULL,
		seq         INTEGER NOT NULL,
		compartment TEXT,
		PRIMARY KEY (type, id)
	) WITHOUT ROWID;

	CREATE TABLE resource_tokens (
		type   TEXT NOT NULL,
		id     TEXT NOT NULL,
		param  TEXT NOT NULL,
		system TEXT NOT NULL,
		value  TEXT NOT NULL,
		PRIMARY KEY (type, id, param, system, value)
	) WITHOUT ROWID;
	CREATE INDEX resource_tokens_lookup ON resource_tokens (type, param, value, system);`,
	`DROP TABLE resource_tokens;` + indexSchema,
	`CREATE TABLE applied_keys (
		key        TEXT    PRIMARY KEY,
		applied_at INTEGER NOT NULL -- Unix milliseconds, UTC
	) WITHOUT ROWID;
	CREATE INDEX applied_keys_time ON applied_keys (applied_at);`,
	messageSchema,
}

// messageSchema is the message log (version 4; store.MessageRecord): one
// row a message, its id the rowid, received in Unix milliseconds, patients
// and outcome as lines of text, the raw message last so that listing
// without it reads no overflow pages. Three indexes: by time (listing,
// ranges, pruning), by feed and time, and by control id. message_patients
// finds messages by patient identifier (value first, so a bare value is a
// prefix); its rows are deleted by their whole key, read from the
// message's patients, so it needs no second index by message.
const messageSchema = `
	CREATE TABLE messages (
		id         INTEGER PRIMARY KEY,
		received   INTEGER NOT NULL, -- Unix milliseconds, UTC
		feed       TEXT    NOT NULL,
		control_id TEXT    NOT NULL,
		type       TEXT    NOT NULL,
		status     TEXT    NOT NULL,
		event_time TEXT    NOT NULL,
		key        TEXT    NOT NULL,
		patients   TEXT    NOT NULL,
		outcome    TEXT    NOT NULL,
		body       BLOB    NOT NULL
	);
	CREATE INDEX messages_received ON messages (received, id);
	CREATE INDEX messages_feed ON messages (feed, received, id);
	CREATE INDEX messages_control_id ON messages (control_id);
	CREATE TABLE message_patients (
		value      TEXT    NOT NULL,
		system     TEXT    NOT NULL,
		message_id INTEGER NOT NULL,
		PRIMARY KEY (value, system, message_id)
	) WITHOUT ROWID;`

// indexSchema is the search index (version 2). Each idx_ table holds the
// rows search.Index gives for the current, not-deleted version of each
// resource, keyed by that version's seq: a Put deletes the previous
// version's rows (by its seq) and inserts the new ones in the same
// transaction, so joining an index row to resource_versions on seq lands
// on the current body directly. The primary key starts with seq, so the
// rows of new resources are appended at the end of the table's B-tree;
// one secondary index per table serves lookups by parameter and value.
//
// pid numbers a (resource type, parameter code, component) triple in
// search_params: component is 0 for an ordinary parameter and 1..N for the
// components of a composite, whose rows share grp (the value's number, 0
// otherwise).
const indexSchema = `
	CREATE TABLE search_params (
		pid       INTEGER PRIMARY KEY,
		type      TEXT    NOT NULL,
		code      TEXT    NOT NULL,
		component INTEGER NOT NULL,
		UNIQUE (type, code, component)
	);
	CREATE TABLE idx_string (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		norm TEXT NOT NULL, value TEXT NOT NULL,
		PRIMARY KEY (seq, pid, grp, norm, value)
	) WITHOUT ROWID;
	CREATE INDEX idx_string_lookup ON idx_string (pid, norm, seq);
	CREATE TABLE idx_token (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL,
		type_system TEXT NOT NULL, type_code TEXT NOT NULL,
		PRIMARY KEY (seq, pid, grp, system, code, text, type_system, type_code)
	) WITHOUT ROWID;
	CREATE INDEX idx_token_lookup ON idx_token (pid, code, system, seq);
	CREATE TABLE idx_date (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		lo INTEGER NOT NULL, hi INTEGER NOT NULL,
		PRIMARY KEY (seq, pid, grp, lo, hi)
	) WITHOUT ROWID;
	CREATE INDEX idx_date_lookup ON idx_date (pid, lo, seq);
	CREATE TABLE idx_ref (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		ttype TEXT NOT NULL, tid TEXT NOT NULL, url TEXT NOT NULL, version TEXT NOT NULL,
		id_system TEXT NOT NULL, id_value TEXT NOT NULL,
		PRIMARY KEY (seq, pid, grp, ttype, tid, url, version, id_system, id_value)
	) WITHOUT ROWID;
	CREATE INDEX idx_ref_lookup ON idx_ref (pid, tid, ttype, seq);
	CREATE TABLE idx_quantity (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL,
		value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
		ccode TEXT NOT NULL, cvalue REAL NOT NULL, clo REAL NOT NULL, chi REAL NOT NULL,
		PRIMARY KEY (seq, pid, grp, system, code, unit, value, lo, hi)
	) WITHOUT ROWID;
	CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, ccode, clo, seq);
	CREATE TABLE idx_number (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		value REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,
		PRIMARY KEY (seq, pid, grp, value, lo, hi)
	) WITHOUT ROWID;
	CREATE INDEX idx_number_lookup ON idx_number (pid, lo, seq);
	CREATE TABLE idx_uri (
		seq INTEGER NOT NULL, pid INTEGER NOT NULL, grp INTEGER NOT NULL,
		uri TEXT NOT NULL,
		PRIMARY KEY (seq, pid, grp, uri)
	) WITHOUT ROWID;
	CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri, seq);`
