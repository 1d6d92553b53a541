-- Accounts and their sessions. Tokens are stored as SHA-256 hex digests, never in clear.
CREATE TABLE accounts
(
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL,
    locale           TEXT NOT NULL,
    confirmation     TEXT UNIQUE,
    disabled         INTEGER NOT NULL,
    default_profile  TEXT,
    reset_token      TEXT UNIQUE,
    reset_expires_at TEXT,
    -- SHA-256 of the secret in the account's private feed links.
    feed_token       TEXT UNIQUE,
    -- A new address waiting for the link mailed to it (the link's hash).
    pending_email        TEXT,
    pending_confirmation TEXT UNIQUE,
    created_at       TEXT NOT NULL
);

CREATE TABLE sessions
(
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
