-- Where the moderators' decisions leave events and comments (the events read model), and the
-- timed decisions still in force, so the sweep ends them without reading the log.
ALTER TABLE events ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN comments_closed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;

-- One row per timed decision in force: the object decided on, the decision (its action as the
-- domain writes it, `action_key` naming it within the object), when it ends and the report.
CREATE TABLE decision_timers
(
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    action_key     TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    until          TEXT    NOT NULL,
    report         TEXT,
    position       INTEGER NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, action_key)
);
CREATE INDEX decision_timers_until ON decision_timers (until);

-- Suspensions and strikes: a suspended account cannot log in; a suspended profile (or any
-- profile of a suspended account) has its public content hidden.
ALTER TABLE accounts ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN strikes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN account_suspended INTEGER NOT NULL DEFAULT 0;
