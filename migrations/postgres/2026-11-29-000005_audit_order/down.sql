DROP INDEX audit_events_actor_seq_idx;
DROP INDEX audit_events_subject_seq_idx;
DROP INDEX audit_events_kind_seq_idx;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_id_key;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
ALTER TABLE audit_events DROP COLUMN seq;
