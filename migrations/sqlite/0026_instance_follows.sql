-- Other instances' actors (their relays) this instance follows or is followed by (the
-- `instance_follows` read model). following: NULL, 'pending' or 'accepted'; follower: 0 or 1.
CREATE TABLE instance_follows
(
    actor           TEXT PRIMARY KEY,
    host            TEXT NOT NULL,
    following       TEXT,
    following_inbox TEXT,
    follower        INTEGER NOT NULL,
    follower_inbox  TEXT,
    updated_at      TEXT NOT NULL
);
