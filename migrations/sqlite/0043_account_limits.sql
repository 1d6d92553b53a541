-- Accounts the instance's moderators limited as a whole: every profile of the account, those
-- it creates later included, has its events out of public listings and search. The accounts
-- read model shows the decision; the profiles read model keeps the accounts it applies to.
ALTER TABLE accounts ADD COLUMN limited INTEGER NOT NULL DEFAULT 0;
CREATE TABLE account_limits
(
    account_id TEXT PRIMARY KEY
);
