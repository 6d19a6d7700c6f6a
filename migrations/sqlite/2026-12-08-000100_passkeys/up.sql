-- Passkeys (WebAuthn credentials). A credential id belongs to one account
-- at most: registering one that is already known, to anyone, is refused.
-- `passkey` is webauthn-rs's serialised credential (public key, counter,
-- flags); nothing in it is secret.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    passkey TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- A WebAuthn ceremony between its start and its finish, kept here so that
-- any node can finish what another started. The browser holds a random id;
-- only its hash is stored. A finish deletes the row (exactly once), so a
-- replayed finish finds nothing.
CREATE TABLE webauthn_ceremonies (
    id_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the CSRF cookie of the browser that started it.
    browser_binding TEXT NOT NULL,
    client_ip TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry_idx ON webauthn_ceremonies (expires_at);
CREATE INDEX webauthn_ceremonies_ip_idx ON webauthn_ceremonies (client_ip, expires_at);
