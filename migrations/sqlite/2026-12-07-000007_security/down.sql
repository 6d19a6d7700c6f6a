DROP INDEX authorization_requests_ip_idx;
DROP INDEX authorization_requests_browser_idx;
ALTER TABLE authorization_requests DROP COLUMN client_ip;
ALTER TABLE users DROP COLUMN tokens_valid_after;
