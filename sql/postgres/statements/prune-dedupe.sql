-- Dedupe entries last seen before $1, at most $2 (small rows, a bounded chunk at a time).
DELETE FROM dedupe WHERE (source, message_id) IN (
  SELECT source, message_id FROM dedupe WHERE seen_at < $1 LIMIT $2
)
