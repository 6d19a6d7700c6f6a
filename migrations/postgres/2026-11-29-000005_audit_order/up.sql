-- Audit ids are random and times have one-second resolution, so events of
-- the same second had no stable order. A sequence gives every event its
-- place; the audit list orders and pages by it.
ALTER TABLE audit_events ADD COLUMN seq BIGSERIAL NOT NULL;
CREATE UNIQUE INDEX audit_events_seq_idx ON audit_events (seq);
CREATE INDEX audit_events_kind_seq_idx ON audit_events (kind, seq);
CREATE INDEX audit_events_subject_seq_idx ON audit_events (subject, seq);
CREATE INDEX audit_events_actor_seq_idx ON audit_events (actor, seq);
