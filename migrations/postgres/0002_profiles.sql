-- Public identities. account_id is private: it is never served with a profile.
CREATE TABLE profiles
(
    username     text PRIMARY KEY,
    display_name text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    account_id   text,
    created_at   text NOT NULL,
    updated_at   text NOT NULL
);
CREATE INDEX profiles_account ON profiles (account_id);
