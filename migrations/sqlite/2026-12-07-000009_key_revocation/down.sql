DROP TABLE change_epoch;
ALTER TABLE signing_keys DROP COLUMN revoked_at;
