-- Every delivery of the graph's events, live or done (@ids: a JSON array of ids).
DELETE FROM deliveries WHERE event_seq IN (
  SELECT seq FROM events_by_user WHERE user_key IN (SELECT value FROM json_each(@ids))
)
