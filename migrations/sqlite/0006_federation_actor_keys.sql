-- The RSA key pair of each local actor (a profile, a group, the instance actor), made on first
-- need. Not a read model: no projection owns this table, so `convene replay` and a reset never
-- drop it, and a key once published stays the actor's key. The private key never leaves the
-- server: it is read only to sign.
CREATE TABLE actor_keys
(
    -- `profile:<username>`, `group:<handle>` or `instance`: stable when the public URL changes.
    actor           TEXT PRIMARY KEY,
    -- SPKI PEM ("BEGIN PUBLIC KEY").
    public_key_pem  TEXT NOT NULL,
    -- PKCS#8 PEM ("BEGIN PRIVATE KEY").
    private_key_pem TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
