package postgres

// migrations are the schema versions in order; see sqlstore.Migrate. Never
// edit a released one: append. The tables are those of store/sqlite (see
// there for what each holds) in PostgreSQL types: seq comes from the
// identity sequence of resource_versions, last_updated is a timestamptz.
// resources.compartment is reserved for sharding by patient (Citus).
// applied_keys (version 3, store.Tx.Once) keeps applied_at as a timestamptz
// like last_updated.
var migrations = []string{
	`CREATE TABLE resource_versions (
		seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		type         text        NOT NULL,
		id           text        NOT NULL,
		version      bigint      NOT NULL,
		last_updated timestamptz NOT NULL,
		deleted      boolean     NOT NULL,
		body         bytea,
		CONSTRAINT resource_versions_instance UNIQUE (type, id, version)
	);
	CREATE INDEX resource_versions_type ON resource_versions (type, seq);
	CREATE INDEX resource_versions_time ON resource_versions (last_updated, seq);

	CREATE TABLE resources (
		type        text    NOT NULL,
		id          text    NOT NULL,
		version     bigint  NOT NULL,
		deleted     boolean NOT NULL,
		seq         bigint  NOT NULL,
		compartment text,
		PRIMARY KEY (type, id)
	);

	CREATE TABLE resource_tokens (
		type   text NOT NULL,
		id     text NOT NULL,
		param  text NOT NULL,
		system text NOT NULL,
		value  text NOT NULL,
		PRIMARY KEY (type, id, param, system, value)
	);
	CREATE INDEX resource_tokens_lookup ON resource_tokens (type, param, value, system) INCLUDE (id);`,
	`DROP TABLE resource_tokens;` + indexSchema,
	`CREATE TABLE applied_keys (
		key        text COLLATE "C" PRIMARY KEY,
		applied_at timestamptz NOT NULL
	);
	CREATE INDEX applied_keys_time ON applied_keys (applied_at);`,
	messageSchema,
}

// messageSchema is the message log (version 4): the tables of
// store/sqlite's messageSchema (see there) with received a timestamptz and
// type COLLATE "C", so that a type's prefix is a byte range.
const messageSchema = `
	CREATE TABLE messages (
		id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		received   timestamptz NOT NULL,
		feed       text        NOT NULL,
		control_id text        NOT NULL,
		type       text COLLATE "C" NOT NULL,
		status     text        NOT NULL,
		event_time text        NOT NULL,
		key        text        NOT NULL,
		patients   text        NOT NULL,
		outcome    text        NOT NULL,
		body       bytea       NOT NULL
	);
	CREATE INDEX messages_received ON messages (received, id);
	CREATE INDEX messages_feed ON messages (feed, received, id);
	CREATE INDEX messages_control_id ON messages (control_id);
	CREATE TABLE message_patients (
		value      text   NOT NULL,
		system     text   NOT NULL,
		message_id bigint NOT NULL,
		PRIMARY KEY (value, system, message_id)
	);`

// indexSchema is the search index (version 2): the tables of store/sqlite's
// indexSchema (see there) as heap tables with an index on (seq, pid) (to
// replace a resource's rows, and for filters and sort keys of one
// candidate: with seq alone the planner preferred scanning the lookup
// index for the parameter) and one lookup index each. Text that is compared by
// range or prefix is COLLATE "C", so that byte order decides and a B-tree
// serves prefix searches.
const indexSchema = `
	CREATE TABLE search_params (
		pid       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		type      text   NOT NULL,
		code      text   NOT NULL,
		component int    NOT NULL,
		UNIQUE (type, code, component)
	);
	CREATE TABLE idx_string (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		norm text COLLATE "C" NOT NULL, value text NOT NULL
	);
	CREATE INDEX idx_string_seq ON idx_string (seq, pid);
	CREATE INDEX idx_string_lookup ON idx_string (pid, norm, seq);
	CREATE TABLE idx_token (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		system text COLLATE "C" NOT NULL, code text COLLATE "C" NOT NULL, text text COLLATE "C" NOT NULL,
		type_system text NOT NULL, type_code text NOT NULL
	);
	CREATE INDEX idx_token_seq ON idx_token (seq, pid);
	CREATE INDEX idx_token_lookup ON idx_token (pid, code, system, seq);
	CREATE TABLE idx_date (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		lo bigint NOT NULL, hi bigint NOT NULL
	);
	CREATE INDEX idx_date_seq ON idx_date (seq, pid);
	CREATE INDEX idx_date_lookup ON idx_date (pid, lo, seq);
	CREATE TABLE idx_ref (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		ttype text NOT NULL, tid text NOT NULL, -- joined to resources (type, id): its collation
		url text COLLATE "C" NOT NULL, version text NOT NULL,
		id_system text NOT NULL, id_value text NOT NULL
	);
	CREATE INDEX idx_ref_seq ON idx_ref (seq, pid);
	CREATE INDEX idx_ref_lookup ON idx_ref (pid, tid, ttype, seq);
	CREATE TABLE idx_quantity (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		system text NOT NULL, code text NOT NULL, unit text NOT NULL,
		value double precision NOT NULL, lo double precision NOT NULL, hi double precision NOT NULL,
		ccode text COLLATE "C" NOT NULL, cvalue double precision NOT NULL,
		clo double precision NOT NULL, chi double precision NOT NULL
	);
	CREATE INDEX idx_quantity_seq ON idx_quantity (seq, pid);
	CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, ccode, clo, seq);
	CREATE TABLE idx_number (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		value double precision NOT NULL, lo double precision NOT NULL, hi double precision NOT NULL
	);
	CREATE INDEX idx_number_seq ON idx_number (seq, pid);
	CREATE INDEX idx_number_lookup ON idx_number (pid, lo, seq);
	CREATE TABLE idx_uri (
		seq bigint NOT NULL, pid bigint NOT NULL, grp int NOT NULL,
		uri text COLLATE "C" NOT NULL
	);
	CREATE INDEX idx_uri_seq ON idx_uri (seq, pid);
	CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri, seq);`
