DROP INDEX audit_events_actor_seq_idx;
DROP INDEX audit_events_subject_seq_idx;
DROP INDEX audit_events_kind_seq_idx;
DROP INDEX audit_events_seq_idx;
ALTER TABLE audit_events DROP COLUMN seq;
