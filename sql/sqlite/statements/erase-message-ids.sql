-- The messageIds of the events about to be erased (@ids: a JSON array of the graph's ids), so
-- that file archives and in-flight writes can drop them even where a transform renamed the user.
SELECT message_id FROM events WHERE seq IN (
  SELECT seq FROM events_by_user WHERE user_key IN (SELECT value FROM json_each(@ids))
)
