-- When a discussion comment was last edited by its author (none: never).
ALTER TABLE group_discussion_comments ADD COLUMN edited_at text;
