-- ?status=4xx filters on the status class; an index on it keeps every page
-- an index range scan, however many entries have other statuses.
ALTER TABLE request_logs ADD COLUMN status_class smallint GENERATED ALWAYS AS (status / 100) STORED;
CREATE INDEX request_logs_account_class ON request_logs (account_id, status_class, seq);
