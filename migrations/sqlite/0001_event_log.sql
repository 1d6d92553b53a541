-- The event store read and written by sqlite-es (same columns as its own schema), plus a global
-- position and a hash chain. SQLite allows one writer at a time, so the trigger below runs
-- inside the only open write transaction: positions follow commit order with no gap.
CREATE TABLE event_log
(
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL CHECK (sequence >= 0),
    event_type     TEXT    NOT NULL,
    event_version  TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    -- Set by the trigger right after the insert, in the same transaction.
    position       INTEGER UNIQUE,
    hash           BLOB,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE TABLE snapshots
(
    aggregate_type   TEXT    NOT NULL,
    aggregate_id     TEXT    NOT NULL,
    last_sequence    INTEGER NOT NULL CHECK (last_sequence >= 0),
    current_snapshot INTEGER NOT NULL CHECK (current_snapshot >= 0),
    payload          TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- The last position and hash of the chain: one row.
CREATE TABLE log_head
(
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL,
    hash     BLOB    NOT NULL
);
INSERT INTO log_head (id, position, hash) VALUES (1, 0, zeroblob(32));

-- convene_chain() is registered by Convene on every connection that appends (see
-- projections/src/chain.rs); a connection without it cannot append, which is intended.
CREATE TRIGGER event_log_chain
    AFTER INSERT ON event_log
BEGIN
    UPDATE log_head
    SET position = position + 1,
        hash     = convene_chain(hash, position + 1, NEW.aggregate_type, NEW.aggregate_id,
                                 NEW.sequence, NEW.event_type, NEW.event_version,
                                 NEW.payload, NEW.metadata)
    WHERE id = 1;
    UPDATE event_log
    SET position = (SELECT position FROM log_head WHERE id = 1),
        hash     = (SELECT hash FROM log_head WHERE id = 1)
    WHERE rowid = NEW.rowid;
END;

-- How far each projection has applied the log; written in the same transaction as its tables.
CREATE TABLE projection_checkpoints
(
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
