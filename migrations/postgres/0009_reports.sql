-- Reports to the instance's moderators: the queue. What a report says in full (notes, who did
-- what) is folded from its changes in the log; this table answers the queue's filters.
CREATE TABLE reports
(
    id              text PRIMARY KEY,
    state           text NOT NULL,
    category        text NOT NULL,
    target_kind     text NOT NULL,
    target_id       text NOT NULL,
    reporter        text,
    assignee        text,
    comment         text NOT NULL,
    evidence        bigint NOT NULL,
    filed_at        text NOT NULL,
    updated_at      text NOT NULL
);
CREATE INDEX reports_queue ON reports (state, category, filed_at);
CREATE INDEX reports_target ON reports (target_kind, target_id);
