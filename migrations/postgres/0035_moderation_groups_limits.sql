-- Groups the instance's moderators suspended (gone for everyone but moderators, out of every
-- listing, their events out of public listings), and profiles they limited (their events out of
-- public listings and search, still reached by their link).
ALTER TABLE groups ADD COLUMN suspended bigint NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN limited bigint NOT NULL DEFAULT 0;

-- Other instances' actors (profiles, groups) the moderators suspended, by actor URL, with the
-- handle (name@host) their events and comments carry here.
CREATE TABLE actor_decisions
(
    actor      TEXT PRIMARY KEY,
    handle     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    until      TEXT,
    decided_at TEXT NOT NULL,
    position   bigint NOT NULL
);
CREATE INDEX actor_decisions_handle ON actor_decisions (handle);
