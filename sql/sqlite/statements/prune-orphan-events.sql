-- Events whose every delivery is gone (pruned) and that are older than the cutoff.
DELETE FROM events WHERE seq IN (
  SELECT e.seq FROM events e
  WHERE e.received_at < @cutoff AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq)
  LIMIT @limit
)
