-- Events as listed and shown. details holds the organiser's whole description (JSON); the
-- columns beside it are what lists filter and sort on. Times are fixed-width UTC text.
CREATE TABLE events
(
    id         TEXT PRIMARY KEY,
    organizer  TEXT NOT NULL,
    title      TEXT NOT NULL,
    begins_at  TEXT NOT NULL,
    ends_at    TEXT,
    status     TEXT NOT NULL,
    visibility TEXT NOT NULL,
    draft      INTEGER NOT NULL,
    category   TEXT NOT NULL,
    online     INTEGER NOT NULL,
    in_person  INTEGER NOT NULL,
    capacity   INTEGER,
    details    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX events_begins_at ON events (begins_at);
-- Lists of published public events, soonest first, stop after a page.
CREATE INDEX events_listing ON events (visibility, draft, begins_at, id);
CREATE INDEX events_organizer ON events (organizer);

CREATE TABLE event_tags
(
    event_id TEXT NOT NULL,
    tag      TEXT NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags (tag);

-- One row per current participation (those who left are gone). waitlist_rank is the log
-- position that put someone on the waitlist: the waitlist in order is ORDER BY waitlist_rank.
CREATE TABLE participations
(
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL,
    profile       TEXT,
    email         TEXT,
    state         TEXT NOT NULL,
    message       TEXT,
    confirm_token TEXT UNIQUE,
    cancel_token  TEXT UNIQUE,
    waitlist_rank INTEGER,
    joined_at     TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX participations_event ON participations (event_id, state);
CREATE INDEX participations_profile ON participations (profile);

-- Comments; a deleted one keeps its row as a tombstone (body NULL, deleted_at set).
CREATE TABLE comments
(
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL,
    author       TEXT NOT NULL,
    in_reply_to  TEXT,
    body         TEXT,
    announcement INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    edited_at    TEXT,
    deleted_at   TEXT
);
CREATE INDEX comments_event ON comments (event_id, created_at);
