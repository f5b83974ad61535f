-- Events, in ingestion order (seq), partitioned by day of arrival (day = received_at / 86 400 000,
-- in UTC days): retention drops a whole day at once (DROP TABLE, no DELETE of millions of rows;
-- see drop-day.sql). The partitions are created ahead by ferry_ensure_day (migration 004).
-- seq comes from its own sequence, allocated before the insert (next-seqs.sql) so that one
-- multi-row insert can number a whole group commit in order.
CREATE SEQUENCE events_seq_seq;
CREATE TABLE events (
  seq bigint NOT NULL,
  day integer NOT NULL,
  source text NOT NULL,
  message_id text NOT NULL,
  type text NOT NULL,
  user_key text NOT NULL,
  received_at bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (seq, day)
) PARTITION BY RANGE (day);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_user ON events (user_key, seq);

-- The dedupe window by (source, messageId). Not partitioned: the unique key that makes the
-- multi-row INSERT … ON CONFLICT exact across every process cannot span partitions. Its rows are
-- small; prune-dedupe removes expired ones a bounded chunk at a time.
CREATE TABLE dedupe (
  source text NOT NULL,
  message_id text NOT NULL,
  seen_at bigint NOT NULL,
  PRIMARY KEY (source, message_id)
);
CREATE INDEX dedupe_seen ON dedupe (seen_at);
