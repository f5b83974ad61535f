-- Blocked at $2: due deliveries of destination $1 behind their user's oldest live delivery while
-- it waits for a retry.
WITH heads AS (
  SELECT DISTINCT ON (user_key) user_key, event_seq, state, next_at
  FROM deliveries WHERE destination = $1 AND state IN ('pending', 'failed')
  ORDER BY user_key, event_seq
)
SELECT COUNT(*)::integer AS blocked FROM heads h
JOIN deliveries d ON d.destination = $1 AND d.user_key = h.user_key AND d.state IN ('pending', 'failed')
  AND d.event_seq > h.event_seq AND d.next_at <= $2
WHERE h.state = 'failed' AND h.next_at > $2
