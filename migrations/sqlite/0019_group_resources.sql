-- A group's resources (members only): a tree of folders and links. `parent` is the folder a
-- resource is in (NULL: the top); `kind` is folder, link, pad, calc or visio; a folder has no
-- `url`. `author` is a member's key (`@username`).
CREATE TABLE group_resources
(
    id           TEXT PRIMARY KEY,
    group_handle TEXT NOT NULL,
    parent       TEXT,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    url          TEXT,
    summary      TEXT,
    author       TEXT NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX group_resources_parent ON group_resources (group_handle, parent);
