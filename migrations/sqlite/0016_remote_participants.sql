-- Participants on other instances (who joined with a `Join` activity): their actor id and
-- `name@host`. NULL for local profiles and anonymous participants.
ALTER TABLE participations ADD COLUMN remote_actor TEXT;
ALTER TABLE participations ADD COLUMN remote_handle TEXT;
