-- The event store read and written by postgres-es (same columns as its own schema), plus a
-- global position and a hash chain assigned by a trigger inside the appending transaction.
CREATE TABLE event_log
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 0),
    event_type     text   NOT NULL,
    event_version  text   NOT NULL,
    -- json (not jsonb) keeps the exact text, which the hash covers.
    payload        json   NOT NULL,
    metadata       json   NOT NULL,
    position       bigint NOT NULL UNIQUE,
    hash           bytea  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE TABLE snapshots
(
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          json   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- The last position and hash of the chain: one row. Every append updates it, so its row lock
-- is held by the appending transaction until it commits: the next append waits, and positions
-- follow commit order with no gap (a rolled-back append rolls its position back too).
CREATE TABLE log_head
(
    id       integer PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL,
    hash     bytea  NOT NULL
);
INSERT INTO log_head (id, position, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- One field of the chain's canonical form: its UTF-8 byte length, a colon, its bytes.
-- projections/src/chain.rs computes the same bytes; `convene verify` checks both agree.
CREATE FUNCTION convene_field(value text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT AS
$$
SELECT convert_to(octet_length(convert_to(value, 'UTF8'))::text || ':', 'UTF8') || convert_to(value, 'UTF8')
$$;

CREATE FUNCTION event_log_chain() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    UPDATE log_head
    SET position = position + 1,
        hash     = sha256(hash
            || convene_field((position + 1)::text)
            || convene_field(NEW.aggregate_type)
            || convene_field(NEW.aggregate_id)
            || convene_field(NEW.sequence::text)
            || convene_field(NEW.event_type)
            || convene_field(NEW.event_version)
            || convene_field(NEW.payload::text)
            || convene_field(NEW.metadata::text))
    WHERE id = 1
    RETURNING position, hash INTO NEW.position, NEW.hash;
    -- Delivered at commit; identical notifications in one transaction are folded into one.
    PERFORM pg_notify('convene_log', '');
    RETURN NEW;
END
$$;

CREATE TRIGGER event_log_chain
    BEFORE INSERT ON event_log
    FOR EACH ROW
EXECUTE FUNCTION event_log_chain();

CREATE TABLE projection_checkpoints
(
    name     text PRIMARY KEY,
    position bigint NOT NULL
);
