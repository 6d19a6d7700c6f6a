-- Token and session lifecycle: refresh token families, back-channel
-- logout deliveries, and resource servers allowed to introspect.

-- Opaque refresh tokens, stored as SHA-256. Each rotation adds a row to
-- the family; presenting a rotated token revokes the family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    sid TEXT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- sliding expiry of this token; the family's absolute expiry
    expires_at BIGINT NOT NULL,
    family_expires_at BIGINT NOT NULL,
    used_at BIGINT,
    -- the token that replaced this one, and (for the grace window only)
    -- that token sealed under the master key
    successor_hash TEXT,
    successor_sealed BYTEA,
    revoked_at BIGINT,
    -- the access token issued with this refresh token
    access_token_jti TEXT,
    access_token_expires_at BIGINT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (family_expires_at);

-- Logout tokens waiting to be delivered to clients' back-channel URIs.
CREATE TABLE backchannel_deliveries (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    sub TEXT NOT NULL,
    sid TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX backchannel_deliveries_due_idx ON backchannel_deliveries (next_attempt_at);

-- APIs a client (a resource server) may introspect tokens for.
CREATE TABLE client_introspection (
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    api_id TEXT NOT NULL REFERENCES api_resources (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, api_id)
);

CREATE INDEX authorization_codes_sid_idx ON authorization_codes (sid);
