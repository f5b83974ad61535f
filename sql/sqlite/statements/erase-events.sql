-- Every event ordered under one of the graph's ids (@ids: a JSON array of ids): user_key is the
-- event's userId, else its anonymousId. An event of a userId outside the graph that carries one
-- of its anonymousIds (another user of a shared device) is that user's and stays.
DELETE FROM events WHERE seq IN (
  SELECT seq FROM events_by_user WHERE user_key IN (SELECT value FROM json_each(@ids))
)
