-- Due, unleased deliveries oldest first, skipping every user that has an earlier live
-- delivery which is waiting (failed, retry later) or leased: the per-user barrier.
SELECT d.id, d.event_seq AS eventSeq, d.destination, d.user_key AS userKey, d.attempts,
       d.first_attempt_at AS firstAttemptAt, e.body
FROM deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.destination = @destination
  AND d.state IN ('pending', 'failed')
  AND d.next_at <= @now
  AND d.lease_until <= @now
  AND NOT EXISTS (
    SELECT 1 FROM deliveries b
    WHERE b.destination = d.destination AND b.user_key = d.user_key
      AND b.state IN ('pending', 'failed') AND b.event_seq < d.event_seq
      AND (b.next_at > @now OR b.lease_until > @now)
  )
ORDER BY d.event_seq
LIMIT @limit
