package postgres

// migrations are the schema versions in order; see sqlstore.Migrate. Never
// edit a released one: append. The tables are those of store/sqlite (see
// there for what each holds) in PostgreSQL types: seq comes from the
// identity sequence of resource_versions, last_updated is a timestamptz.
// resources.compartment is reserved for sharding by patient (Citus).
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
}
