-- Where the moderators' decisions leave events and comments (the events read model), and the
-- timed decisions still in force, so the sweep ends them without reading the log.
ALTER TABLE events ADD COLUMN hidden bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN removed bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN comments_closed bigint NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN removed bigint NOT NULL DEFAULT 0;

-- One row per timed decision in force: the object decided on, the decision (its action as the
-- domain writes it, `action_key` naming it within the object), when it ends and the report.
CREATE TABLE decision_timers
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    action_key     text   NOT NULL,
    action         text   NOT NULL,
    until          text   NOT NULL,
    report         text,
    position       bigint NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, action_key)
);
CREATE INDEX decision_timers_until ON decision_timers (until);

-- Suspensions and strikes: a suspended account cannot log in; a suspended profile (or any
-- profile of a suspended account) has its public content hidden.
ALTER TABLE accounts ADD COLUMN suspended bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN strikes bigint NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN suspended bigint NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN account_suspended bigint NOT NULL DEFAULT 0;
