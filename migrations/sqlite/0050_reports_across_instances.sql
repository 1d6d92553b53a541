-- Reports meeting other instances: the instance the reported content comes from (the queue
-- filters by it; none for this instance's content) and the instance that sent the report as a
-- `Flag` (none for a report filed here).
ALTER TABLE reports ADD COLUMN instance TEXT;
ALTER TABLE reports ADD COLUMN received_from TEXT;
