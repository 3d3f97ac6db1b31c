-- Each request-log entry named its account and key by their ids, 29
-- characters each, in the row and in five indexes. Here they become small
-- integers, one per account or key that ever logged a request: entries and
-- index pages shrink, and an insert compares integers instead of strings
-- (a fifth of its CPU). Names are never deleted, so a number always means
-- the same account or key. The table is rebuilt, entries keep their seq.
DROP INDEX request_logs_account_seq;
DROP INDEX request_logs_account_failures;
DROP INDEX request_logs_account_code;
DROP INDEX request_logs_account_created;
DROP INDEX request_logs_account_errors;
DROP INDEX request_logs_account_error_route;
DROP INDEX request_logs_account_key;
DROP INDEX request_logs_account_path;
CREATE TABLE request_log_accounts (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
CREATE TABLE request_log_keys (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
INSERT INTO request_log_accounts (id) SELECT DISTINCT account_id FROM request_logs ORDER BY account_id;
INSERT INTO request_log_keys (id) SELECT DISTINCT api_key_id FROM request_logs ORDER BY api_key_id;

CREATE TABLE request_logs_new (
	seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
	id                  TEXT NOT NULL UNIQUE,
	account             INTEGER NOT NULL,
	method              TEXT NOT NULL,
	path                TEXT NOT NULL,
	route               TEXT NOT NULL,
	status              INTEGER NOT NULL,
	status_class        INTEGER GENERATED ALWAYS AS (status / 100) VIRTUAL,
	error_code          TEXT,
	error_message       TEXT,
	error_param         TEXT,
	api_key             INTEGER NOT NULL,
	idempotency_key     TEXT,
	idempotent_replayed INTEGER NOT NULL,
	duration_us         INTEGER NOT NULL,
	ip                  TEXT,
	user_agent          TEXT,
	source              TEXT NOT NULL,
	created_at          INTEGER NOT NULL
);
-- seq goes on from where it was, even past entries already purged.
INSERT INTO sqlite_sequence (name, seq) SELECT 'request_logs_new', seq FROM sqlite_sequence WHERE name = 'request_logs';
INSERT INTO request_logs_new (seq, id, account, method, path, route, status, error_code, error_message, error_param,
	api_key, idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at)
SELECT r.seq, r.id, a.n, r.method, r.path, r.route, r.status, r.error_code, r.error_message, r.error_param,
	k.n, r.idempotency_key, r.idempotent_replayed, r.duration_us, r.ip, r.user_agent, r.source, r.created_at
FROM request_logs r
JOIN request_log_accounts a ON a.id = r.account_id
JOIN request_log_keys k ON k.id = r.api_key_id
ORDER BY r.seq;
DROP TABLE request_logs;
ALTER TABLE request_logs_new RENAME TO request_logs;

CREATE INDEX request_logs_account_seq ON request_logs (account, seq);
CREATE INDEX request_logs_account_failures ON request_logs (account, status_class, seq) WHERE status >= 400;
CREATE INDEX request_logs_account_code ON request_logs (account, error_code, seq) WHERE error_code IS NOT NULL;
CREATE INDEX request_logs_account_created ON request_logs (account, created_at, status, duration_us, api_key);
CREATE INDEX request_logs_account_errors ON request_logs (account, created_at, error_code, route) WHERE error_code IS NOT NULL;
CREATE INDEX request_logs_account_error_route ON request_logs (account, error_code, route, seq) WHERE error_code IS NOT NULL;
CREATE INDEX request_logs_account_key ON request_logs (account, api_key, seq);
CREATE INDEX request_logs_account_path ON request_logs (account, path, seq);
