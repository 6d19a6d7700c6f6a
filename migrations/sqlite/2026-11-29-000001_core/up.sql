-- Core identity and authorization tables. Portable types only: TEXT ids
-- (UUIDs), BIGINT unix-second timestamps, BOOLEAN, BLOB.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT 0,
    name TEXT,
    password_hash TEXT,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_email_idx ON users (email);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    built_in BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

CREATE TABLE api_resources (
    id TEXT PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    built_in BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE permissions (
    id TEXT PRIMARY KEY,
    api_id TEXT NOT NULL REFERENCES api_resources (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (api_id, name)
);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id TEXT NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission_idx ON role_permissions (permission_id);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- base64url(SHA-256(secret)); NULL for public clients.
    secret_hash TEXT,
    is_public BOOLEAN NOT NULL,
    -- space-separated lists
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    skip_consent BOOLEAN NOT NULL DEFAULT 0,
    id_token_alg TEXT,
    backchannel_logout_uri TEXT,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- kind: 'redirect' or 'post_logout'
CREATE TABLE client_redirect_uris (
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    uri TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);

-- The APIs a client may ask tokens for; position 0 is its default audience.
CREATE TABLE client_resources (
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    api_id TEXT NOT NULL REFERENCES api_resources (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (client_id, api_id)
);

CREATE TABLE client_roles (
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, role_id)
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    -- AES-256-GCM(master key, PKCS#8 DER), bound to the kid.
    private_key BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    -- Published from creation; signs from activates_at.
    activates_at BIGINT NOT NULL,
    -- Stops signing at retired_at; stays published until its tokens expire.
    retired_at BIGINT
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    subject TEXT,
    client_ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);

-- One-time links that let the first administrator be created in a browser.
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Gatehouse administers itself through its own authorization model.
INSERT INTO api_resources (id, identifier, name, built_in, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'gatehouse-admin', 'Gatehouse administration', 1, 0);

INSERT INTO permissions (id, api_id, name, description) VALUES
    ('00000000-0000-4000-8000-000000000101', '00000000-0000-4000-8000-000000000001', 'users:read', 'Read users'),
    ('00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-000000000001', 'users:write', 'Create, change and delete users'),
    ('00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-000000000001', 'roles:read', 'Read roles, APIs and permissions'),
    ('00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000000001', 'roles:write', 'Change roles, APIs and permissions'),
    ('00000000-0000-4000-8000-000000000105', '00000000-0000-4000-8000-000000000001', 'clients:read', 'Read clients'),
    ('00000000-0000-4000-8000-000000000106', '00000000-0000-4000-8000-000000000001', 'clients:write', 'Register, change and delete clients'),
    ('00000000-0000-4000-8000-000000000107', '00000000-0000-4000-8000-000000000001', 'keys:read', 'Read signing keys'),
    ('00000000-0000-4000-8000-000000000108', '00000000-0000-4000-8000-000000000001', 'keys:write', 'Rotate and retire signing keys'),
    ('00000000-0000-4000-8000-000000000109', '00000000-0000-4000-8000-000000000001', 'audit:read', 'Read the audit log'),
    ('00000000-0000-4000-8000-000000000110', '00000000-0000-4000-8000-000000000001', 'sessions:write', 'End user sessions');

INSERT INTO roles (id, name, description, built_in, created_at)
VALUES ('00000000-0000-4000-8000-000000000201', 'admin', 'Administers Gatehouse itself', 1, 0);

INSERT INTO role_permissions (role_id, permission_id)
SELECT '00000000-0000-4000-8000-000000000201', id FROM permissions
WHERE api_id = '00000000-0000-4000-8000-000000000001';
