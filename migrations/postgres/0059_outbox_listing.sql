-- What each actor's outbox (`/@{name}/outbox`) lists: every activity the outbox subscriber
-- derives is stored with its actor, whether it is listed (public, about a public event, comment
-- or post that is still shown), the object it carries, the event or post it is about, and the
-- log position that gave it (the outbox's order, newest first).
-- Activities stored before this migration have no actor and are not listed (0): which of them
-- are still public cannot be told without the log, and the outbox is never rebuilt.
ALTER TABLE activities ADD COLUMN actor text;
ALTER TABLE activities ADD COLUMN listed bigint NOT NULL DEFAULT 0;
ALTER TABLE activities ADD COLUMN object text;
ALTER TABLE activities ADD COLUMN about text;
ALTER TABLE activities ADD COLUMN log_position bigint;
CREATE INDEX activities_outbox ON activities (actor, log_position) WHERE listed = 1;
CREATE INDEX activities_listed_about ON activities (about) WHERE listed = 1;
CREATE INDEX activities_listed_object ON activities (object) WHERE listed = 1;
