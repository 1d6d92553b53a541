-- Subscribers read an aggregate's changes after a position (the notifications subscriber and the
-- federation outbox read on from the fold they kept): with only the primary key, the database
-- walks every change of the aggregate to filter them by position, thousands for a crowded event,
-- for each join. Indexed by position within the aggregate, it reads just the new ones.
CREATE INDEX event_log_by_aggregate_position ON event_log (aggregate_type, aggregate_id, position);
