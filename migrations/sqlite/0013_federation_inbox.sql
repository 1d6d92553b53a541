-- Events organised on another instance: who organises them there and where the original is.
-- NULL for local events. The read model `events` owns these columns, as the rest of the table.
ALTER TABLE events ADD COLUMN origin_object TEXT;
ALTER TABLE events ADD COLUMN origin_actor TEXT;
ALTER TABLE events ADD COLUMN origin_name TEXT;
ALTER TABLE events ADD COLUMN origin_url TEXT;
CREATE INDEX events_origin_object ON events (origin_object);

-- Remote actors as last fetched: where to deliver and the key that verifies their signatures.
-- A cache, not a read model (nothing in the log fills it): refetched when a signature fails.
CREATE TABLE remote_actors
(
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    inbox              TEXT NOT NULL,
    shared_inbox       TEXT,
    key_id             TEXT NOT NULL,
    public_key_pem     TEXT NOT NULL,
    preferred_username TEXT NOT NULL,
    name               TEXT,
    url                TEXT,
    fetched_at         TEXT NOT NULL
);
CREATE INDEX remote_actors_key ON remote_actors (key_id);

-- Ids of the activities the inbox accepted, so that a resend is applied once.
CREATE TABLE inbox_seen
(
    activity_id TEXT PRIMARY KEY,
    actor       TEXT NOT NULL,
    received_at TEXT NOT NULL
);
