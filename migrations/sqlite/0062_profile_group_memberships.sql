-- Other instances' groups a local profile joined or asked to join (the `follows` read model;
-- state: requested, accepted), with the group's inbox its Leave goes to.
CREATE TABLE profile_group_memberships
(
    profile TEXT NOT NULL,
    "group" TEXT NOT NULL,
    inbox   TEXT NOT NULL,
    state   TEXT NOT NULL,
    since   TEXT NOT NULL,
    PRIMARY KEY (profile, "group")
);
