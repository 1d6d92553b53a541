-- The audit trail and reverts read the log by who acted, by request, by time and by kind of
-- change: indexes on those metadata fields (the very expressions the queries use), each ending
-- with the position so the newest come first unsorted.
CREATE INDEX event_log_by_account ON event_log ((metadata ->> 'account'), position);
CREATE INDEX event_log_by_request ON event_log ((metadata ->> 'request_id'), position);
CREATE INDEX event_log_by_time ON event_log ((metadata ->> 'recorded_at'));
CREATE INDEX event_log_by_change ON event_log (event_type, position);
