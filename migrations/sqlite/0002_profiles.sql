-- Public identities. account_id is private: it is never served with a profile.
CREATE TABLE profiles
(
    username     TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    account_id   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX profiles_account ON profiles (account_id);
