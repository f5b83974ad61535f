-- Fenced: only the claim that holds the row (its token) settles it.
-- $1 id, $2 token, $3 now, $4 attempt time, $5 status, $6 error, $7 nextAt.
UPDATE deliveries
SET state = 'failed', attempts = attempts + 1, lease_until = 0, next_at = $7, last_status = $5,
    last_error = $6, first_attempt_at = COALESCE(first_attempt_at, $4), updated_at = $3
WHERE id = $1 AND lease_token = $2
RETURNING day
