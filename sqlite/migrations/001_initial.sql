CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	account_id   TEXT NOT NULL REFERENCES accounts (id),
	name         TEXT NOT NULL,
	scopes       TEXT NOT NULL,
	rate_limit   INTEGER NOT NULL,
	prefix       TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE INDEX api_keys_account_seq ON api_keys (account_id, seq);

-- seq orders lists newest first with a stable tie-break; (account_id, seq)
-- makes every page an index range scan whatever the table's size.
CREATE TABLE resources (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	account_id  TEXT NOT NULL REFERENCES accounts (id),
	name        TEXT NOT NULL,
	description TEXT,
	metadata    TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX resources_account_seq ON resources (account_id, seq);

CREATE TABLE request_logs (
	seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
	id                  TEXT NOT NULL UNIQUE,
	account_id          TEXT NOT NULL,
	method              TEXT NOT NULL,
	path                TEXT NOT NULL,
	status              INTEGER NOT NULL,
	error_code          TEXT,
	api_key_id          TEXT NOT NULL,
	idempotency_key     TEXT,
	idempotent_replayed INTEGER NOT NULL,
	duration_us         INTEGER NOT NULL,
	created_at          INTEGER NOT NULL
);
CREATE INDEX request_logs_account_seq ON request_logs (account_id, seq);
CREATE INDEX request_logs_account_status ON request_logs (account_id, status, seq);
CREATE INDEX request_logs_account_code ON request_logs (account_id, error_code, seq);
CREATE INDEX request_logs_created ON request_logs (created_at);

-- status is NULL while the first request holds the key (token, locked_at).
CREATE TABLE idempotency_keys (
	account_id  TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	token       TEXT NOT NULL,
	locked_at   INTEGER NOT NULL,
	status      INTEGER,
	body        BLOB,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
