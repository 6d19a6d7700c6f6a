-- Audit ids are random and times have one-second resolution, so events of
-- the same second had no stable order. A sequence gives every event its
-- place and becomes the key; the audit list orders and pages by it.
ALTER TABLE audit_events ADD COLUMN seq BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (seq);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_id_key UNIQUE (id);
CREATE INDEX audit_events_kind_seq_idx ON audit_events (kind, seq);
CREATE INDEX audit_events_subject_seq_idx ON audit_events (subject, seq);
CREATE INDEX audit_events_actor_seq_idx ON audit_events (actor, seq);
