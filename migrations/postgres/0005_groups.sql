-- Groups, their members and their followers. A member or follower is keyed by `@username` for a
-- local profile or by its actor URL once groups federate; `profile` names the local profile.
-- `details` holds the group's settings as JSON (as the aggregate has them); the columns beside
-- it are what lists filter and sort on.
CREATE TABLE groups
(
    handle       text PRIMARY KEY,
    display_name text NOT NULL,
    visibility   text NOT NULL,
    openness     text NOT NULL,
    details      text NOT NULL,
    created_at   text NOT NULL,
    updated_at   text NOT NULL
);

CREATE TABLE group_members
(
    group_handle text NOT NULL,
    member       text NOT NULL,
    profile      text,
    role         text NOT NULL,
    message      text,
    since        text NOT NULL,
    updated_at   text NOT NULL,
    PRIMARY KEY (group_handle, member)
);
CREATE INDEX group_members_role ON group_members (group_handle, role);
CREATE INDEX group_members_profile ON group_members (profile);

CREATE TABLE group_followers
(
    group_handle text NOT NULL,
    follower     text NOT NULL,
    profile      text,
    state        text NOT NULL,
    since        text NOT NULL,
    PRIMARY KEY (group_handle, follower)
);
CREATE INDEX group_followers_profile ON group_followers (profile);

-- Events a group organises: the group, whether only its members see the event, and whether the
-- event shows the group rather than the member who created it.
ALTER TABLE events ADD COLUMN group_handle text;
ALTER TABLE events ADD COLUMN members_only bigint NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN hide_organiser bigint NOT NULL DEFAULT 0;
CREATE INDEX events_group ON events (group_handle);

-- A group's timeline: what changed, by whom (a profile or a remote actor, never an account),
-- when. `public` entries are shown to everyone; an event's entry is shown to whoever may see
-- the event, which is decided when it is read.
CREATE TABLE group_timeline
(
    group_handle text NOT NULL,
    position     bigint NOT NULL,
    at           text NOT NULL,
    actor        text NOT NULL,
    kind         text NOT NULL,
    subject      text,
    detail       text,
    public       bigint NOT NULL,
    PRIMARY KEY (group_handle, position)
);
