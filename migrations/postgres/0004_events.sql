-- Events as listed and shown. details holds the organiser's whole description (JSON); the
-- columns beside it are what lists filter and sort on. Times are fixed-width UTC text.
CREATE TABLE events
(
    id         text PRIMARY KEY,
    organizer  text NOT NULL,
    title      text NOT NULL,
    begins_at  text NOT NULL,
    ends_at    text,
    status     text NOT NULL,
    visibility text NOT NULL,
    draft      bigint NOT NULL,
    category   text NOT NULL,
    online     bigint NOT NULL,
    in_person  bigint NOT NULL,
    capacity   bigint,
    details    text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
);
CREATE INDEX events_begins_at ON events (begins_at);
-- Lists of published public events, soonest first, stop after a page.
CREATE INDEX events_listing ON events (visibility, draft, begins_at, id);
CREATE INDEX events_organizer ON events (organizer);

CREATE TABLE event_tags
(
    event_id text NOT NULL,
    tag      text NOT NULL,
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags (tag);

-- One row per current participation (those who left are gone). waitlist_rank is the log
-- position that put someone on the waitlist: the waitlist in order is ORDER BY waitlist_rank.
CREATE TABLE participations
(
    id            text PRIMARY KEY,
    event_id      text NOT NULL,
    profile       text,
    email         text,
    state         text NOT NULL,
    message       text,
    confirm_token text UNIQUE,
    cancel_token  text UNIQUE,
    waitlist_rank bigint,
    joined_at     text NOT NULL,
    updated_at    text NOT NULL
);
CREATE INDEX participations_event ON participations (event_id, state);
CREATE INDEX participations_profile ON participations (profile);

-- Comments; a deleted one keeps its row as a tombstone (body NULL, deleted_at set).
CREATE TABLE comments
(
    id           text PRIMARY KEY,
    event_id     text NOT NULL,
    author       text NOT NULL,
    in_reply_to  text,
    body         text,
    announcement bigint NOT NULL,
    created_at   text NOT NULL,
    edited_at    text,
    deleted_at   text
);
CREATE INDEX comments_event ON comments (event_id, created_at);
