CREATE INDEX users_email_idx ON users (email);
DROP INDEX users_email_username_idx;
