-- A link's preview, fetched by the instance after the link is stored: the page's title,
-- description and image URL (each may be missing; all three empty once fetched and found
-- empty). `preview_wanted` is the URL still waiting for its preview (set when a link is added
-- or given a new URL, emptied when its preview is recorded); the preview fetcher reads it from
-- the index below. Links stored before this change get no preview until their URL changes.
ALTER TABLE group_resources ADD COLUMN preview_wanted text;
ALTER TABLE group_resources ADD COLUMN preview_title text;
ALTER TABLE group_resources ADD COLUMN preview_description text;
ALTER TABLE group_resources ADD COLUMN preview_image text;
ALTER TABLE group_resources ADD COLUMN previewed_at text;
CREATE INDEX group_resources_preview_wanted ON group_resources (position)
    WHERE preview_wanted IS NOT NULL;
