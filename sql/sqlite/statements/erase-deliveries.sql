-- Every delivery of the graph's events, live or done (@ids: a JSON array of ids).
DELETE FROM deliveries WHERE event_seq IN (
  SELECT e.seq FROM events e WHERE e.user_key IN (SELECT value FROM json_each(@ids))
)
