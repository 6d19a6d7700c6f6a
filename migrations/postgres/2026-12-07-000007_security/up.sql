-- Tokens issued to a user before this time are refused at Gatehouse's own
-- endpoints (a password change or "end sessions" moves it forward), so no
-- per-token bookkeeping is needed to cut a user's outstanding tokens.
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;

-- Pending authorization requests are capped per browser and per address.
ALTER TABLE authorization_requests ADD COLUMN client_ip TEXT;
CREATE INDEX authorization_requests_browser_idx ON authorization_requests (browser_binding, created_at);
CREATE INDEX authorization_requests_ip_idx ON authorization_requests (client_ip, expires_at);
