CREATE TABLE accounts (
	id         text PRIMARY KEY,
	name       text NOT NULL,
	created_at timestamptz NOT NULL
);

-- seq orders lists newest first with a stable tie-break; (account_id, seq)
-- makes every page an index range scan whatever the table's size.
CREATE TABLE api_keys (
	seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id           text NOT NULL UNIQUE,
	account_id   text NOT NULL REFERENCES accounts (id),
	name         text NOT NULL,
	scopes       text[] NOT NULL,
	rate_limit   integer NOT NULL,
	prefix       text NOT NULL,
	hash         text NOT NULL UNIQUE,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);
CREATE INDEX api_keys_account_seq ON api_keys (account_id, seq);

CREATE TABLE resources (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          text NOT NULL UNIQUE,
	account_id  text NOT NULL REFERENCES accounts (id),
	name        text NOT NULL,
	description text,
	metadata    jsonb NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX resources_account_seq ON resources (account_id, seq);

CREATE TABLE request_logs (
	seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id                  text NOT NULL UNIQUE,
	account_id          text NOT NULL,
	method              text NOT NULL,
	path                text NOT NULL,
	status              integer NOT NULL,
	error_code          text,
	api_key_id          text NOT NULL,
	idempotency_key     text,
	idempotent_replayed boolean NOT NULL,
	duration_us         bigint NOT NULL,
	created_at          timestamptz NOT NULL
);
CREATE INDEX request_logs_account_seq ON request_logs (account_id, seq);
CREATE INDEX request_logs_account_status ON request_logs (account_id, status, seq);
CREATE INDEX request_logs_account_code ON request_logs (account_id, error_code, seq);
CREATE INDEX request_logs_created ON request_logs (created_at);

-- status is NULL while the first request holds the key (token, locked_at).
-- locked_at is set from the database's clock, the one clock that every
-- instance shares, since the lease it measures is only seconds long.
CREATE TABLE idempotency_keys (
	account_id  text NOT NULL,
	key         text NOT NULL,
	fingerprint text NOT NULL,
	request_id  text NOT NULL,
	token       text NOT NULL,
	locked_at   timestamptz NOT NULL,
	status      integer,
	body        bytea,
	created_at  timestamptz NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
