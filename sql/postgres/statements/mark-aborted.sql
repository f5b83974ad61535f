-- Fenced: only the claim that holds the row (its token) settles it.
-- $1 id, $2 token, $3 now, $4 attempt time, $5 status, $6 error, $7 reason, $8 1 when attempted.
UPDATE deliveries
SET state = 'aborted', attempts = attempts + $8, lease_until = 0, reason = $7,
    last_status = COALESCE($5, last_status), last_error = COALESCE($6, last_error),
    first_attempt_at = COALESCE(first_attempt_at, $4), updated_at = $3
WHERE id = $1 AND lease_token = $2
RETURNING day
