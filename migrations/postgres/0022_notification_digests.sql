-- The daily digest. Notifications delivered by digest wait (digest_id NULL) until their account's
-- digest time; the digest that lists them records its id on them, so each is listed once.
ALTER TABLE notifications ADD COLUMN digest_id text;
CREATE INDEX notifications_digest ON notifications (account_id, delivery, digest_id);

-- Each account's digest time: the hour (0-23) on its time zone's clock, and the next instant
-- it is due (Unix seconds, UTC), moved on to the next day's by the digest that claims it.
-- Made with the defaults when the account's first digest notification is stored.
CREATE TABLE notification_digest_times
(
    account_id text PRIMARY KEY,
    hour       bigint NOT NULL,
    time_zone  text NOT NULL,
    due_at     bigint NOT NULL
);
CREATE INDEX notification_digest_times_due ON notification_digest_times (due_at);

-- Each digest made: one mail (a row of notification_mails with the same id), id derived from
-- (account, due_at), listing the notifications whose digest_id is its id.
CREATE TABLE notification_digests
(
    id         text PRIMARY KEY,
    account_id text NOT NULL,
    due_at     bigint NOT NULL,
    items      bigint NOT NULL,
    created_at text NOT NULL
);
