DROP TABLE recovery_codes;
DROP TABLE totp_factors;
ALTER TABLE roles DROP COLUMN require_mfa;
ALTER TABLE authorization_requests DROP COLUMN acr_values;
ALTER TABLE sessions DROP COLUMN pending;
