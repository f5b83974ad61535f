-- One user's live deliveries at destination $1 ($2: the user), oldest first, at most $3, locked
-- until the claim commits. The claim takes them while each is due and unleased and stops at the
-- first that is not: the per-user barrier (G6). A concurrent claim of the same user waits for the
-- lock and then sees the lease this one wrote.
SELECT d.id AS id, d.event_seq AS "eventSeq", d.destination, d.user_key AS "userKey", d.attempts,
       d.first_attempt_at AS "firstAttemptAt", d.next_at AS "nextAt", d.lease_until AS "leaseUntil", e.body
FROM deliveries d JOIN events e ON e.seq = d.event_seq AND e.day = d.day
WHERE d.destination = $1 AND d.user_key = $2 AND d.state IN ('pending', 'failed')
ORDER BY d.event_seq
LIMIT $3
FOR UPDATE OF d
