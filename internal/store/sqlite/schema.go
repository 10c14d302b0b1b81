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
// resource_tokens holds the token index of current, not-deleted versions;
// it is replaced on every Put and Delete. Search adds typed index tables
// (string, date, reference, quantity, number, uri) in later migrations.
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
}
