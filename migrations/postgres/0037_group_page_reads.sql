-- The group page reads a group's next events in start order: indexed so, it reads those few
-- rows instead of sorting all of the group's events (the index on the group alone is a prefix of
-- this one).
DROP INDEX events_group;
CREATE INDEX events_group ON events (group_handle, begins_at, id);

-- A group's follower count reads its approved followers alone.
CREATE INDEX group_followers_state ON group_followers (group_handle, state);

-- `public` on the timeline now marks every entry that may be shown beyond the members: the
-- group's public facts, and the entries of events and posts (shown to whoever may see the event
-- or post, as decided when read). A visitor's page then reads its entries straight from this
-- index instead of walking past the members' ones.
UPDATE group_timeline SET public = 1 WHERE kind IN ('event_organised', 'post_published');
CREATE INDEX group_timeline_beyond_members ON group_timeline (group_handle, public, position);
