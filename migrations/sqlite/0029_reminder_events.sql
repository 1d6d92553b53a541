-- What a reminder says about its event (title, start, place, online link; JSON) is kept once per
-- event rather than once per attendee: editing the title of an event with thousands of
-- attendees rewrites one row. The attendee's own part (their profile) is the reminder's
-- recipient. Existing rows are carried over, then the per-attendee copy goes.
CREATE TABLE reminder_events
(
    event_id TEXT PRIMARY KEY,
    facts    TEXT NOT NULL
);
INSERT INTO reminder_events (event_id, facts)
SELECT event_id, MIN(facts) FROM reminder_attendance GROUP BY event_id;
ALTER TABLE reminder_attendance DROP COLUMN facts;
