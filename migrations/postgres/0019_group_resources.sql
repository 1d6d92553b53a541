-- A group's resources (members only): a tree of folders and links. `parent` is the folder a
-- resource is in (NULL: the top); `kind` is folder, link, pad, calc or visio; a folder has no
-- `url`. `author` is a member's key (`@username`).
CREATE TABLE group_resources
(
    id           text PRIMARY KEY,
    group_handle text NOT NULL,
    parent       text,
    kind         text NOT NULL,
    title        text NOT NULL,
    url          text,
    summary      text,
    author       text NOT NULL,
    position     bigint NOT NULL,
    created_at   text NOT NULL,
    updated_at   text NOT NULL
);
CREATE INDEX group_resources_parent ON group_resources (group_handle, parent);
