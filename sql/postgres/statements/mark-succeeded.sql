-- Fenced, in one statement for a whole claim: only rows still carrying the claim's token $1 are
-- settled. $2 ids, $3 statuses, $4 attempt times (arrays, one element per delivery), $5 now.
-- The returned rows are the settled ones (with their day, for the attempt log).
UPDATE deliveries d
SET state = 'succeeded', attempts = attempts + 1, lease_until = 0, last_status = u.status, last_error = NULL,
    first_attempt_at = COALESCE(first_attempt_at, u.at), updated_at = $5
FROM unnest($2::bigint[], $3::integer[], $4::bigint[]) AS u(id, status, at)
WHERE d.id = u.id AND d.lease_token = $1
RETURNING d.id AS id, d.day
