-- What administrators refuse of another instance's domain beside suspending or limiting it:
-- its pictures (`reject_media`: not shown here) and its reports (`reject_reports`: its `Flag`s
-- are not filed). One row per policy in force; lifting one removes its row, the log keeps it.
CREATE TABLE domain_policies
(
    domain         TEXT NOT NULL,
    policy         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    public_comment TEXT,
    until          TEXT,
    decided_at     TEXT NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (domain, policy)
);
