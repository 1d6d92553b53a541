-- A group's posts. `tags` is a JSON list; `published_at` is set when the post first leaves its
-- draft and never after; deleted posts are gone. Who may read a post (`visibility`: public,
-- unlisted, members; drafts for moderators) is decided when it is read.
CREATE TABLE group_posts
(
    id           text PRIMARY KEY,
    group_handle text NOT NULL,
    slug         text NOT NULL,
    author       text NOT NULL,
    title        text NOT NULL,
    body         text NOT NULL,
    tags         text NOT NULL,
    visibility   text NOT NULL,
    draft        bigint NOT NULL,
    published_at text,
    created_at   text NOT NULL,
    updated_at   text NOT NULL,
    UNIQUE (group_handle, slug)
);
CREATE INDEX group_posts_published ON group_posts (group_handle, published_at);
