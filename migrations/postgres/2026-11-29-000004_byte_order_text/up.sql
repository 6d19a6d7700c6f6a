-- Compare usernames, emails and audit kinds by bytes, as SQLite does,
-- whatever collation the database was created with: prefix searches are
-- then index range scans with the same results on both backends (under a
-- linguistic collation "an" would also match "Anna").
ALTER TABLE users ALTER COLUMN username TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN email TYPE TEXT COLLATE "C";
ALTER TABLE audit_events ALTER COLUMN kind TYPE TEXT COLLATE "C";
