-- One destination's ($1) deliveries of the events received in [$2, $3), by outcome (a replay's
-- copies keep their original's received_at). Blocked: live behind an earlier delivery of the same
-- user at this destination that failed and waits for its retry; pending: every other live one.
WITH w AS (
  SELECT d.state, d.attempts, d.replay_id,
    d.state IN ('pending', 'failed') AND EXISTS (
      SELECT 1 FROM deliveries f
      WHERE f.destination = d.destination AND f.user_key = d.user_key AND f.state IN ('pending', 'failed')
        AND f.state = 'failed' AND f.event_seq < d.event_seq
    ) AS blocked
  FROM events e JOIN deliveries d ON d.event_seq = e.seq AND d.day = e.day
  WHERE e.received_at >= $2 AND e.received_at < $3 AND d.destination = $1
)
SELECT COUNT(*)::integer AS received,
  COUNT(*) FILTER (WHERE state = 'succeeded' AND attempts <= 1)::integer AS "deliveredFirstTry",
  COUNT(*) FILTER (WHERE state = 'succeeded' AND attempts > 1)::integer AS "deliveredAfterRetry",
  COUNT(*) FILTER (WHERE state = 'aborted')::integer AS aborted,
  COUNT(*) FILTER (WHERE state IN ('pending', 'failed') AND NOT blocked)::integer AS pending,
  COUNT(*) FILTER (WHERE blocked)::integer AS blocked,
  COUNT(*) FILTER (WHERE state = 'failed')::integer AS retrying,
  COUNT(*) FILTER (WHERE replay_id IS NOT NULL)::integer AS replayed
FROM w
