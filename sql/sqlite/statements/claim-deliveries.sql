-- One user's live deliveries at one destination, oldest first. The claim takes them while
-- each is due and unleased and stops at the first that is not: the per-user barrier (G6).
SELECT d.id, d.event_seq AS eventSeq, d.destination, d.user_key AS userKey, d.attempts,
       d.first_attempt_at AS firstAttemptAt, d.next_at AS nextAt, d.lease_until AS leaseUntil, e.body
FROM deliveries d JOIN events e ON e.seq = d.event_seq
WHERE d.destination = @destination AND d.user_key = @userKey AND d.state IN ('pending', 'failed')
ORDER BY d.event_seq
LIMIT @limit
