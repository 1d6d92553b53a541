-- An event's participant and waitlist counts, kept by the projection as each participation is
-- added, changes state or goes, so that listing an event (its card on the home and group pages,
-- the API) does not count its participations again each time.
ALTER TABLE events ADD COLUMN participant_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN waitlist_count INTEGER NOT NULL DEFAULT 0;
UPDATE events SET
    participant_count = (SELECT COUNT(*) FROM participations p WHERE p.event_id = events.id
                         AND p.state = 'participant'),
    waitlist_count = (SELECT COUNT(*) FROM participations p WHERE p.event_id = events.id
                      AND p.state = 'waitlisted');
