-- Browser sign-in: sessions, pending authorization requests, codes,
-- consents, login throttling and revoked access tokens.

-- Browser sessions. The cookie carries a random id; only its hash is here.
-- `sid` is a separate random value published in ID tokens.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- An /authorize request waiting for login or consent. The browser holds
-- only its id; everything that matters stays here.
CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY,
    -- SHA-256 of the browser's CSRF cookie: the request continues only in
    -- the browser that started it.
    browser_binding TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    state TEXT,
    nonce TEXT,
    code_challenge TEXT,
    prompt TEXT NOT NULL,
    max_age BIGINT,
    login_hint TEXT,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    session_id_hash TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX authorization_requests_expiry_idx ON authorization_requests (expires_at);

CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    redirect_uri_sent BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    nonce TEXT,
    -- oxide-auth's encoded PKCE challenge (challenge + method tag).
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    sid TEXT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    -- The access token minted from this code, revoked if the code is replayed.
    access_token_jti TEXT,
    access_token_expires_at BIGINT
);
CREATE INDEX authorization_codes_expiry_idx ON authorization_codes (expires_at);

CREATE TABLE consents (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Failed sign-ins per key ("account:<username>" or "ip:<address>").
CREATE TABLE login_failures (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);

-- Access tokens refused before their expiry (code replay, revocation).
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);
