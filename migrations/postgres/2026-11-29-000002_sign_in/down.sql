DROP TABLE revoked_tokens;
DROP TABLE login_failures;
DROP TABLE consents;
DROP TABLE authorization_codes;
DROP TABLE authorization_requests;
DROP TABLE sessions;
