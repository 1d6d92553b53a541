-- The role another instance's group gave a local profile among its members (its `Update` of
-- the profile's `Member`), once it named one; none until then.
ALTER TABLE profile_group_memberships ADD COLUMN role TEXT;
