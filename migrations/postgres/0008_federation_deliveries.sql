-- The durable delivery queue of federation: each outgoing activity is stored once, and one
-- delivery per target inbox. A delivery's id is derived from (activity id, inbox), so deriving
-- the same deliveries again (a replay, a restart mid fan-out) inserts nothing.
-- Times are Unix milliseconds.
CREATE TABLE activities
(
    id         text PRIMARY KEY,
    key_id     text   NOT NULL,
    body       text   NOT NULL,
    created_at bigint NOT NULL
);

-- state: pending (to send, or to retry at next_attempt_at), delivered, failed (refused by the
-- inbox with a 4xx that is not worth retrying, or by our own guard), dead (every try used).
-- leased_until: a worker claimed it until then; another may claim it after.
CREATE TABLE deliveries
(
    id              text PRIMARY KEY,
    activity_id     text   NOT NULL REFERENCES activities (id),
    inbox           text   NOT NULL,
    host            text   NOT NULL,
    state           text   NOT NULL,
    attempts        bigint NOT NULL,
    next_attempt_at bigint NOT NULL,
    leased_until    bigint,
    last_status     bigint,
    last_error      text,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_activity ON deliveries (activity_id);
