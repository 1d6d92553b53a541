-- A group's posts. `tags` is a JSON list; `published_at` is set when the post first leaves its
-- draft and never after; deleted posts are gone. Who may read a post (`visibility`: public,
-- unlisted, members; drafts for moderators) is decided when it is read.
CREATE TABLE group_posts
(
    id           TEXT PRIMARY KEY,
    group_handle TEXT NOT NULL,
    slug         TEXT NOT NULL,
    author       TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    tags         TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    draft        INTEGER NOT NULL,
    published_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (group_handle, slug)
);
CREATE INDEX group_posts_published ON group_posts (group_handle, published_at);
