-- The Dashboard shows the error object as returned, the client and where the
-- request came from; route is the matched pattern, which groups errors by
-- endpoint rather than by object id. Entries logged before this migration
-- keep them empty.
ALTER TABLE request_logs
	ADD COLUMN route text NOT NULL DEFAULT '',
	ADD COLUMN error_message text,
	ADD COLUMN error_param text,
	ADD COLUMN ip text,
	ADD COLUMN user_agent text,
	ADD COLUMN source text NOT NULL DEFAULT 'api';

-- Covers the timeline and per-key usage (a range of created_at read by an
-- index-only scan) and the logs' time-range filter.
CREATE INDEX request_logs_account_created ON request_logs (account_id, created_at) INCLUDE (status, duration_us, api_key_id);
-- Failures only, usually a small part of the log: error groups over a time
-- range, and each group's newest examples.
CREATE INDEX request_logs_account_errors ON request_logs (account_id, created_at) INCLUDE (error_code, route) WHERE error_code IS NOT NULL;
CREATE INDEX request_logs_account_error_route ON request_logs (account_id, error_code, route, seq) WHERE error_code IS NOT NULL;
-- The Logs page's API key and path filters, newest first.
CREATE INDEX request_logs_account_key ON request_logs (account_id, api_key_id, seq);
CREATE INDEX request_logs_account_path ON request_logs (account_id, path, seq);

-- A Dashboard sign-in. Only the SHA-256 of its token is stored.
CREATE TABLE sessions (
	id           text PRIMARY KEY,
	hash         text NOT NULL UNIQUE,
	account_id   text NOT NULL REFERENCES accounts (id),
	api_key_id   text NOT NULL REFERENCES api_keys (id),
	csrf_token   text NOT NULL,
	created_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_api_key ON sessions (api_key_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
