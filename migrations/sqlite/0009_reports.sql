-- Reports to the instance's moderators: the queue. What a report says in full (notes, who did
-- what) is folded from its changes in the log; this table answers the queue's filters.
CREATE TABLE reports
(
    id              TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    category        TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    reporter        TEXT,
    assignee        TEXT,
    comment         TEXT NOT NULL,
    evidence        INTEGER NOT NULL,
    filed_at        TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX reports_queue ON reports (state, category, filed_at);
CREATE INDEX reports_target ON reports (target_kind, target_id);
