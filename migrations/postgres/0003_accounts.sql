-- Accounts and their sessions. Tokens are stored as SHA-256 hex digests, never in clear.
CREATE TABLE accounts
(
    id               text PRIMARY KEY,
    email            text NOT NULL UNIQUE,
    password_hash    text NOT NULL,
    role             text NOT NULL,
    locale           text NOT NULL,
    confirmation     text UNIQUE,
    disabled         bigint NOT NULL,
    default_profile  text,
    reset_token      text UNIQUE,
    reset_expires_at text,
    -- SHA-256 of the secret in the account's private feed links.
    feed_token       text UNIQUE,
    -- A new address waiting for the link mailed to it (the link's hash).
    pending_email        text,
    pending_confirmation text UNIQUE,
    created_at       text NOT NULL
);

CREATE TABLE sessions
(
    token_hash text PRIMARY KEY,
    account_id text NOT NULL,
    created_at text NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
