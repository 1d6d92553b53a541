-- The administrators' decisions in force on other instances' domains: suspended (activities
-- refused, nothing delivered, content shown to moderators only) or limited (content out of
-- public listings and search). A lifted decision leaves the table; the log keeps it.
CREATE TABLE domain_decisions
(
    domain         TEXT PRIMARY KEY,
    action         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    public_comment TEXT,
    until          TEXT,
    decided_at     TEXT NOT NULL,
    position       INTEGER NOT NULL
);
