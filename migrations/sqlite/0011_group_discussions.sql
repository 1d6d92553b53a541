-- A group's discussions (members only) and their comments. A deleted comment keeps its row as a
-- tombstone (no body, `deleted` set) so that replies keep their place; a deleted discussion is
-- gone with its comments.
CREATE TABLE group_discussions
(
    id              TEXT PRIMARY KEY,
    group_handle    TEXT NOT NULL,
    title           TEXT NOT NULL,
    author          TEXT NOT NULL,
    archived        INTEGER NOT NULL,
    comment_count   INTEGER NOT NULL,
    last_comment_at TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX group_discussions_group ON group_discussions (group_handle, last_comment_at);

CREATE TABLE group_discussion_comments
(
    id           TEXT PRIMARY KEY,
    discussion   TEXT NOT NULL,
    position     INTEGER NOT NULL,
    author       TEXT NOT NULL,
    in_reply_to  TEXT,
    body         TEXT NOT NULL,
    deleted      INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX group_discussion_comments_discussion ON group_discussion_comments (discussion, position);
