-- Todos of other instances' groups, as the groups relayed them to their members here (the
-- `follows` read model): one row per Todo, whichever local member kept it, as last relayed.
CREATE TABLE group_todos_elsewhere
(
    todo        TEXT    NOT NULL PRIMARY KEY,
    "group"     TEXT    NOT NULL,
    list        TEXT    NOT NULL,
    creator     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    done        INTEGER NOT NULL,
    due_on      TEXT,
    assignee    TEXT,
    received_at TEXT    NOT NULL,
    position    BIGINT  NOT NULL
);
CREATE INDEX group_todos_elsewhere_by_group ON group_todos_elsewhere ("group", position);
