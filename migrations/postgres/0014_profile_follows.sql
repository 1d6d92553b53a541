-- Follows between local profiles and remote actors (the `follows` read model).
-- Remote actors that follow a local profile, with where to deliver to them.
CREATE TABLE profile_followers
(
    profile      text NOT NULL,
    actor        text NOT NULL,
    inbox        text NOT NULL,
    shared_inbox text,
    since        text NOT NULL,
    PRIMARY KEY (profile, actor)
);

-- Remote actors a local profile follows (state: requested, accepted).
CREATE TABLE profile_following
(
    profile      text NOT NULL,
    target       text NOT NULL,
    inbox        text NOT NULL,
    shared_inbox text,
    state        text NOT NULL,
    PRIMARY KEY (profile, target)
);
