-- Each upload's blurhash, shown blurred in its place while it loads (none for uploads made
-- before blurhashes were computed).
ALTER TABLE pictures ADD COLUMN blurhash TEXT;
