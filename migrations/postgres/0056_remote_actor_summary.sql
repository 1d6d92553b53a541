-- What another instance's actor says of itself (`summary`, HTML as sent, bounded), so a report on
-- that actor keeps it as evidence. Filled as actors are fetched again; NULL until then.
ALTER TABLE remote_actors ADD COLUMN summary TEXT;
