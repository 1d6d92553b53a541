-- The role another instance's group gave a local profile among its members (its `Update` of
-- the profile's `Member`), once it named one; and who invited the profile, while its
-- invitation waits for an answer (state `invited`).
ALTER TABLE profile_group_memberships ADD COLUMN role TEXT;
ALTER TABLE profile_group_memberships ADD COLUMN invited_by TEXT;
