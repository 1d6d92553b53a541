-- The durable delivery queue of federation: each outgoing activity is stored once, and one
-- delivery per target inbox. A delivery's id is derived from (activity id, inbox), so deriving
-- the same deliveries again (a replay, a restart mid fan-out) inserts nothing.
-- Times are Unix milliseconds.
CREATE TABLE activities
(
    id         TEXT PRIMARY KEY,
    key_id     TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- state: pending (to send, or to retry at next_attempt_at), delivered, failed (refused by the
-- inbox with a 4xx that is not worth retrying, or by our own guard), dead (every try used).
-- leased_until: a worker claimed it until then; another may claim it after.
CREATE TABLE deliveries
(
    id              TEXT PRIMARY KEY,
    activity_id     TEXT   NOT NULL REFERENCES activities (id),
    inbox           TEXT   NOT NULL,
    host            TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_activity ON deliveries (activity_id);
