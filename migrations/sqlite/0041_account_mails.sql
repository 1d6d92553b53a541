-- The mails about an account itself (confirming an address, a password reset, an address
-- change…): each is a row of the notifications' mail outbox (notification_mails, same id), so
-- none is lost when the mail server is down, and the sender's retries apply; never a digest,
-- never turned off. Only what sending needs is kept: the mail's name, the language, the address
-- and the values filled into its template (its links, tokens included), and the values only
-- until the mail is sent or given up (then NULL), so no link outlives its mail here.
CREATE TABLE account_mails
(
    id         TEXT PRIMARY KEY,
    mail       TEXT NOT NULL,
    locale     TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    vals       TEXT,
    created_at TEXT NOT NULL
);
