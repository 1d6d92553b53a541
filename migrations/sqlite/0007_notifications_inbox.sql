-- Notifications, derived from the log by the notifications subscriber. Never emptied by a
-- replay: ids come from (position, recipient, kind), so re-deriving inserts nothing new and
-- sends nothing again.
--
-- recipient is '@username' (a local profile, whose owning account is account_id) or
-- 'mailto:address' (an anonymous participant). facts holds what the message says (JSON).
-- delivery is what the recipient's settings said when it was derived: mail, digest or off
-- (off: kept only so a replay knows it exists; never shown).
CREATE TABLE notifications
(
    id         TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    account_id TEXT,
    event_id   TEXT NOT NULL,
    facts      TEXT NOT NULL,
    delivery   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_account ON notifications (account_id, position);
CREATE INDEX notifications_unread ON notifications (account_id, read_at);

-- The mail outbox: one mail per notification delivered by mail. state is pending, sent or
-- failed. A sender claims due mails by moving due_at past a lease (so a crashed sender's
-- claims come back) and counting the attempt; a refusal that may pass (4xx, server down) sets
-- due_at after a growing delay, a permanent one (5xx) or too many attempts ends as failed.
-- due_at is in Unix seconds.
CREATE TABLE notification_mails
(
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    last_error TEXT,
    sent_at    TEXT
);
CREATE INDEX notification_mails_due ON notification_mails (state, due_at);

-- Each account's choice per kind (mail, digest or off); absent means the kind's default.
CREATE TABLE notification_settings
(
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    delivery   TEXT NOT NULL,
    PRIMARY KEY (account_id, kind)
);

-- One-click unsubscribe links already used (by mail id): a link works once.
CREATE TABLE notification_unsubscribed
(
    mail_id TEXT PRIMARY KEY,
    at      TEXT NOT NULL
);

-- The instance's key for signing unsubscribe links, made at first use.
CREATE TABLE notification_keys
(
    name TEXT PRIMARY KEY,
    key  TEXT NOT NULL
);
