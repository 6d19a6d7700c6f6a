-- A revoked signing key (a leaked one) is neither published nor trusted
-- from the moment it is revoked, unlike a retired key, which verifies the
-- tokens it signed until they expire.
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;

-- One row, bumped in the transaction of every administrative change.
-- Each server polls it and re-reads what it holds in memory (signing keys,
-- caches) when it moves, so a change made by another node or by the
-- command line takes effect everywhere within a second or two.
CREATE TABLE change_epoch (
    id BIGINT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO change_epoch (id, epoch) VALUES (1, 0);
