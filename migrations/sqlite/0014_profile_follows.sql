-- Follows between local profiles and remote actors (the `follows` read model).
-- Remote actors that follow a local profile, with where to deliver to them.
CREATE TABLE profile_followers
(
    profile      TEXT NOT NULL,
    actor        TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT,
    since        TEXT NOT NULL,
    PRIMARY KEY (profile, actor)
);

-- Remote actors a local profile follows (state: requested, accepted).
CREATE TABLE profile_following
(
    profile      TEXT NOT NULL,
    target       TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT,
    state        TEXT NOT NULL,
    PRIMARY KEY (profile, target)
);
