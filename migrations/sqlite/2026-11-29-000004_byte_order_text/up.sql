-- SQLite already compares TEXT by bytes (BINARY collation); this migration
-- exists so both backends carry the same migration history.
SELECT 1;
