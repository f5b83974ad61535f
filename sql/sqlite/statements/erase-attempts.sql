-- The attempt log of every delivery of the graph's events (@ids: a JSON array of ids).
DELETE FROM delivery_log WHERE delivery_id IN (
  SELECT d.id FROM deliveries d WHERE d.event_seq IN (
    SELECT seq FROM events_by_user WHERE user_key IN (SELECT value FROM json_each(@ids))
  )
)
