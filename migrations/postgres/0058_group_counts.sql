-- A group's member and approved-follower counts, kept by the projection whenever a membership or
-- a follow changes, so that reading a group (its page, the API, the list of groups) does not
-- count its members and followers again each time.
ALTER TABLE groups ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN follower_count BIGINT NOT NULL DEFAULT 0;
UPDATE groups SET
    member_count = (SELECT COUNT(*) FROM group_members m WHERE m.group_handle = groups.handle
                    AND m.role IN ('member', 'moderator', 'administrator', 'creator')),
    follower_count = (SELECT COUNT(*) FROM group_followers f WHERE f.group_handle = groups.handle
                      AND f.state = 'approved');
