DROP INDEX authorization_codes_sid_idx;
DROP TABLE client_introspection;
DROP TABLE backchannel_deliveries;
DROP TABLE refresh_tokens;
