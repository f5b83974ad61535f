DELETE FROM dedupe WHERE (source, message_id) IN (
  SELECT source, message_id FROM dedupe WHERE seen_at < @cutoff LIMIT @limit
)
