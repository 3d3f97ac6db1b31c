-- The status-class index held every entry, though it serves only filters
-- on failures: ?status=2xx (most entries) reads request_logs_account_seq
-- and finds a page after a few rows. Successes, most of the log, no longer
-- write it (a sixth of a request-log insert). Failures keep it; 499 (the
-- client hung up) has no error code, so the condition is on the status.
DROP INDEX request_logs_account_class;
CREATE INDEX request_logs_account_failures ON request_logs (account_id, status_class, seq) WHERE status >= 400;
