-- A group's todo lists and their todos (members only). `assignee` is a member's key
-- (`@username`); `due_on` a day, YYYY-MM-DD.
CREATE TABLE group_todo_lists
(
    id           TEXT PRIMARY KEY,
    group_handle TEXT NOT NULL,
    title        TEXT NOT NULL,
    position     INTEGER NOT NULL
);
CREATE INDEX group_todo_lists_group ON group_todo_lists (group_handle, position);

CREATE TABLE group_todos
(
    id         TEXT PRIMARY KEY,
    list       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    due_on     TEXT,
    assignee   TEXT,
    done       INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX group_todos_list ON group_todos (list, position);
