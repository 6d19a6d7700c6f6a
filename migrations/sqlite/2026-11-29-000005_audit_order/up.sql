-- Audit ids are random and times have one-second resolution, so events of
-- the same second had no stable order. A sequence gives every event its
-- place and becomes the key; the audit list orders and pages by it. SQLite
-- cannot add an autoincrementing column, so the table is rebuilt, oldest
-- events first.
CREATE TABLE audit_events_ordered (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    subject TEXT,
    client_ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO audit_events_ordered (id, occurred_at, kind, actor, subject, client_ip, details)
SELECT id, occurred_at, kind, actor, subject, client_ip, details
FROM audit_events ORDER BY occurred_at, rowid;
DROP TABLE audit_events;
ALTER TABLE audit_events_ordered RENAME TO audit_events;
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_kind_seq_idx ON audit_events (kind, seq);
CREATE INDEX audit_events_subject_seq_idx ON audit_events (subject, seq);
CREATE INDEX audit_events_actor_seq_idx ON audit_events (actor, seq);
