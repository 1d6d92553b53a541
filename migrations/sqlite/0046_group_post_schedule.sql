-- A post may wait for its publication time (`publish_at`, fixed-width UTC, as written): it is
-- not a draft, `published_at` stays empty, and only the group's moderators see it until the
-- instance's sweep publishes it. The sweep reads the posts whose time has come from this index.
ALTER TABLE group_posts ADD COLUMN publish_at TEXT;
CREATE INDEX group_posts_due ON group_posts (publish_at) WHERE published_at IS NULL;
