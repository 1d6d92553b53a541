-- Reminders before the events people take part in, derived from the log by the notifications
-- subscriber. Times are Unix seconds (UTC): a reminder is due a fixed duration before the
-- instant the event begins, whatever the event's time zone and its clock changes.
--
-- reminder_attendance: who takes part (a seat or an organiser's role; local profiles only) in
-- each event not yet begun, as of the log's head: recipient is '@username', account_id its
-- owner, facts what the reminder will say (JSON). Replaced for an event whenever it changes.
CREATE TABLE reminder_attendance
(
    event_id   text NOT NULL,
    recipient  text NOT NULL,
    account_id text NOT NULL,
    begins_at  bigint NOT NULL,
    facts      text NOT NULL,
    PRIMARY KEY (event_id, recipient)
);
CREATE INDEX reminder_attendance_account ON reminder_attendance (account_id);

-- One row per reminder: id derived from (event, recipient, minutes before, begins_at), so a
-- replay derives the same rows and an event moved gets new ones. state is pending, sent (turned
-- into a notification by the scheduler; late = 1 when it fired after its time) or skipped (the
-- event had begun when the scheduler got to it). A pending reminder nobody is owed any more
-- (the person left, the event moved, was cancelled or deleted) is removed.
CREATE TABLE reminders
(
    id             text PRIMARY KEY,
    event_id       text NOT NULL,
    recipient      text NOT NULL,
    account_id     text NOT NULL,
    minutes_before bigint NOT NULL,
    begins_at      bigint NOT NULL,
    due_at         bigint NOT NULL,
    state          text NOT NULL,
    late           bigint NOT NULL DEFAULT 0,
    fired_at       text
);
CREATE INDEX reminders_due ON reminders (state, due_at);
CREATE INDEX reminders_event ON reminders (event_id);
CREATE INDEX reminders_account ON reminders (account_id);

-- Each account's choice of when to be reminded: minutes before the start, comma-separated
-- (an empty text: no reminders); absent means the default, a day and two hours before.
CREATE TABLE reminder_offsets
(
    account_id text PRIMARY KEY,
    minutes    text NOT NULL
);
