CREATE TABLE profiles
(
    username     text PRIMARY KEY,
    display_name text NOT NULL,
    created_at   text NOT NULL,
    updated_at   text NOT NULL
);
