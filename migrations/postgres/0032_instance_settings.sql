-- The instance's settings as its administrators last saved them (one row, the whole settings as
-- JSON); none until they first do, when the configuration's defaults apply.
CREATE TABLE instance_settings
(
    id         text PRIMARY KEY,
    settings   text NOT NULL,
    changed_at text NOT NULL,
    position   bigint NOT NULL
);

-- The public transparency log: every moderation decision that may be published, redacted when
-- read (the instance's settings say whether, and with the moderator or not).
CREATE TABLE transparency_entries
(
    position       bigint PRIMARY KEY,
    decided_at     text NOT NULL,
    change         text NOT NULL,
    target_kind    text NOT NULL,
    target_id      text NOT NULL,
    event_id       text,
    category       text,
    rules          text,
    public_comment text,
    moderator      text,
    undoes         bigint,
    undone_by      bigint
);
CREATE INDEX transparency_entries_target ON transparency_entries (target_kind, target_id);

-- Registrations under approval: why the person asked, and whether a moderator still has to
-- decide (a rejected registration leaves the table: its address may register again).
ALTER TABLE accounts ADD COLUMN application text;
ALTER TABLE accounts ADD COLUMN awaiting_approval bigint NOT NULL DEFAULT 0;
