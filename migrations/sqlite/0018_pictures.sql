-- Pictures: the picture an event shows and a profile's avatar (each as JSON: id, hash, sizes,
-- colour, alternative text), and the `pictures` read model (every upload, whether it was ever
-- used, whether it was discarded: what the sweep of unused uploads reads).
ALTER TABLE events ADD COLUMN picture TEXT;
ALTER TABLE profiles ADD COLUMN avatar TEXT;

CREATE TABLE pictures
(
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    uploader    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    widths      TEXT NOT NULL,
    colour      TEXT NOT NULL,
    alt         TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    used_at     TEXT,
    discarded   INTEGER NOT NULL
);
CREATE INDEX pictures_hash ON pictures (hash);
CREATE INDEX pictures_unused ON pictures (used_at, discarded, uploaded_at);
