-- Comments in the discussions of other instances' groups, as the groups relayed them to their
-- members here (the `follows` read model): one row per Note, whichever local member kept it.
CREATE TABLE group_comments_elsewhere
(
    note        TEXT   NOT NULL PRIMARY KEY,
    "group"     TEXT   NOT NULL,
    discussion  TEXT   NOT NULL,
    author      TEXT   NOT NULL,
    in_reply_to TEXT,
    body        TEXT   NOT NULL,
    received_at TEXT   NOT NULL,
    position    BIGINT NOT NULL
);
CREATE INDEX group_comments_elsewhere_by_group ON group_comments_elsewhere ("group", position);
