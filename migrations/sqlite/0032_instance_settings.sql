-- The instance's settings as its administrators last saved them (one row, the whole settings as
-- JSON); none until they first do, when the configuration's defaults apply.
CREATE TABLE instance_settings
(
    id         TEXT PRIMARY KEY,
    settings   TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    position   INTEGER NOT NULL
);

-- The public transparency log: every moderation decision that may be published, redacted when
-- read (the instance's settings say whether, and with the moderator or not).
CREATE TABLE transparency_entries
(
    position       INTEGER PRIMARY KEY,
    decided_at     TEXT NOT NULL,
    change         TEXT NOT NULL,
    target_kind    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    event_id       TEXT,
    category       TEXT,
    rules          TEXT,
    public_comment TEXT,
    moderator      TEXT,
    undoes         INTEGER,
    undone_by      INTEGER
);
CREATE INDEX transparency_entries_target ON transparency_entries (target_kind, target_id);

-- Registrations under approval: why the person asked, and whether a moderator still has to
-- decide (a rejected registration leaves the table: its address may register again).
ALTER TABLE accounts ADD COLUMN application TEXT;
ALTER TABLE accounts ADD COLUMN awaiting_approval INTEGER NOT NULL DEFAULT 0;
