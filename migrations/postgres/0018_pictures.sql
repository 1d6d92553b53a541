-- Pictures: the picture an event shows and a profile's avatar (each as JSON: id, hash, sizes,
-- colour, alternative text), and the `pictures` read model (every upload, whether it was ever
-- used, whether it was discarded: what the sweep of unused uploads reads).
ALTER TABLE events ADD COLUMN picture TEXT;
ALTER TABLE profiles ADD COLUMN avatar TEXT;

CREATE TABLE pictures
(
    id          text PRIMARY KEY,
    hash        text NOT NULL,
    uploader    text NOT NULL,
    purpose     text NOT NULL,
    width       bigint NOT NULL,
    height      bigint NOT NULL,
    widths      text NOT NULL,
    colour      text NOT NULL,
    alt         text NOT NULL,
    uploaded_at text NOT NULL,
    used_at     text,
    discarded   bigint NOT NULL
);
CREATE INDEX pictures_hash ON pictures (hash);
CREATE INDEX pictures_unused ON pictures (used_at, discarded, uploaded_at);
