-- The attempt log of every delivery of the graph's events ($1: the graph's ids).
DELETE FROM delivery_log WHERE delivery_id IN (
  SELECT d.id FROM deliveries d WHERE d.event_seq IN (SELECT e.seq FROM events e WHERE e.user_key = ANY($1::text[]))
)
