CREATE TABLE audit_events_unordered (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    subject TEXT,
    client_ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO audit_events_unordered (id, occurred_at, kind, actor, subject, client_ip, details)
SELECT id, occurred_at, kind, actor, subject, client_ip, details FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_unordered RENAME TO audit_events;
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
