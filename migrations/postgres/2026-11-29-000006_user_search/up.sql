-- A user search reads the users whose email starts with a prefix in
-- (email, username) order: this index serves the range and the order, so
-- no search ever sorts its matches (see src/db/user_search.rs).
CREATE INDEX users_email_username_idx ON users (email, username);
DROP INDEX users_email_idx;
