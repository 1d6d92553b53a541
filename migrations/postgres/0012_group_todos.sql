-- A group's todo lists and their todos (members only). `assignee` is a member's key
-- (`@username`); `due_on` a day, YYYY-MM-DD.
CREATE TABLE group_todo_lists
(
    id           text PRIMARY KEY,
    group_handle text NOT NULL,
    title        text NOT NULL,
    position     bigint NOT NULL
);
CREATE INDEX group_todo_lists_group ON group_todo_lists (group_handle, position);

CREATE TABLE group_todos
(
    id         text PRIMARY KEY,
    list       text NOT NULL,
    position   bigint NOT NULL,
    title      text NOT NULL,
    due_on     text,
    assignee   text,
    done       bigint NOT NULL,
    updated_at text NOT NULL
);
CREATE INDEX group_todos_list ON group_todos (list, position);
