-- A session whose password was right but whose second factor is still
-- awaited (or must first be enrolled): it signs nobody in anywhere, and
-- only the second-step page reads it.
ALTER TABLE sessions ADD COLUMN pending BOOLEAN NOT NULL DEFAULT 0;

-- The acr_values a client sent (OIDC Core 3.1.2.1), kept until the code is
-- issued so the level can be checked after the sign-in finishes.
ALTER TABLE authorization_requests ADD COLUMN acr_values TEXT;

-- People holding a role with require_mfa must use a second factor.
ALTER TABLE roles ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT 0;

-- One authenticator app per user. The secret is sealed under the master
-- key; confirmed_at is NULL until the person proved it with a code.
-- last_used_step is the last accepted 30-second step: a code is accepted
-- by a conditional update that moves it forward, so a replayed code fails
-- on every node.
CREATE TABLE totp_factors (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_used_step BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes, stored as SHA-256 only.
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);
