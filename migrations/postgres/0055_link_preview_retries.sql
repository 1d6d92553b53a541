-- A link whose page could not be reached for the moment (timed out, refused the connection,
-- answered 5xx or 429) is asked again later rather than given an empty preview at once: one row
-- per link and URL waiting, with the attempts so far and when to try again (Unix seconds). This
-- is the fetcher's bookkeeping, not a read model of the log: a rebuild leaves it alone, and a
-- row whose URL is no longer the one waiting is ignored.
CREATE TABLE link_preview_retries
(
    resource_id text PRIMARY KEY,
    url         text NOT NULL,
    attempts    bigint NOT NULL,
    due_at      bigint NOT NULL,
    last_error  text NOT NULL
);

-- Links stored before previews existed wait for one, as a rebuild of the read model has them do.
UPDATE group_resources SET preview_wanted = url
WHERE url IS NOT NULL AND previewed_at IS NULL AND preview_wanted IS NULL;
