-- A group's discussions (members only) and their comments. A deleted comment keeps its row as a
-- tombstone (no body, `deleted` set) so that replies keep their place; a deleted discussion is
-- gone with its comments.
CREATE TABLE group_discussions
(
    id              text PRIMARY KEY,
    group_handle    text NOT NULL,
    title           text NOT NULL,
    author          text NOT NULL,
    archived        bigint NOT NULL,
    comment_count   bigint NOT NULL,
    last_comment_at text NOT NULL,
    created_at      text NOT NULL
);
CREATE INDEX group_discussions_group ON group_discussions (group_handle, last_comment_at);

CREATE TABLE group_discussion_comments
(
    id           text PRIMARY KEY,
    discussion   text NOT NULL,
    position     bigint NOT NULL,
    author       text NOT NULL,
    in_reply_to  text,
    body         text NOT NULL,
    deleted      bigint NOT NULL,
    created_at   text NOT NULL
);
CREATE INDEX group_discussion_comments_discussion ON group_discussion_comments (discussion, position);
