-- How far the notifications subscriber has ever delivered: the highest log position whose
-- notifications were derived and sent (or put in the inbox or a digest) by a running subscriber.
-- Unlike its checkpoint, a replay does not move it back. A notification derived again for a
-- change at or before it, and not stored yet (a kind added since, or rows lost), is stored as
-- already delivered — read, in no digest, and never mailed — so that rebuilding the subscriber
-- from position 0 tells nobody now of a change from the past.
--
-- An instance upgraded to this version has already delivered everything up to its subscriber's
-- checkpoint, with the kinds it knew then.
CREATE TABLE notification_delivered
(
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
INSERT INTO notification_delivered (name, position)
SELECT 'notifications', position FROM projection_checkpoints WHERE name = 'notifications';
