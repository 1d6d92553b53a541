-- Why its organisers cancelled an event, when they said (from the metadata of its
-- `EventCancelled` change).
ALTER TABLE events ADD COLUMN cancel_reason TEXT;
