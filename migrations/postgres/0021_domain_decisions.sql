-- The administrators' decisions in force on other instances' domains: suspended (activities
-- refused, nothing delivered, content shown to moderators only) or limited (content out of
-- public listings and search). A lifted decision leaves the table; the log keeps it.
CREATE TABLE domain_decisions
(
    domain         text PRIMARY KEY,
    action         text NOT NULL,
    reason         text NOT NULL,
    public_comment text,
    until          text,
    decided_at     text NOT NULL,
    position       bigint NOT NULL
);
