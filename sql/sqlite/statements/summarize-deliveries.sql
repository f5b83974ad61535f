-- One destination's deliveries of the events received in [@from, @to), by outcome (a replay's
-- copies keep their original's received_at). Blocked: live behind an earlier delivery of the same
-- user at this destination that failed and waits for its retry; pending: every other live one.
WITH w AS (
  SELECT d.state, d.attempts, d.replay_id,
    d.state IN ('pending', 'failed') AND EXISTS (
      SELECT 1 FROM deliveries f
      WHERE f.destination = d.destination AND f.user_key = d.user_key AND f.state IN ('pending', 'failed')
        AND f.state = 'failed' AND f.event_seq < d.event_seq
    ) AS blocked
  FROM events e JOIN deliveries d ON d.event_seq = e.seq
  WHERE e.received_at >= @from AND e.received_at < @to AND d.destination = @destination
)
SELECT COUNT(*) AS received,
  COALESCE(SUM(state = 'succeeded' AND attempts <= 1), 0) AS deliveredFirstTry,
  COALESCE(SUM(state = 'succeeded' AND attempts > 1), 0) AS deliveredAfterRetry,
  COALESCE(SUM(state = 'aborted'), 0) AS aborted,
  COALESCE(SUM(state IN ('pending', 'failed') AND NOT blocked), 0) AS pending,
  COALESCE(SUM(blocked), 0) AS blocked,
  COALESCE(SUM(state = 'failed'), 0) AS retrying,
  COALESCE(SUM(replay_id IS NOT NULL), 0) AS replayed
FROM w
