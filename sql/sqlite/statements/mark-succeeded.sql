-- Positional parameters (the delivery hot path): status, attemptAt, now, id, token.
-- Fenced: only the claim that holds the row (its token) settles it.
UPDATE deliveries
SET state = 'succeeded', attempts = attempts + 1, lease_until = 0, last_status = ?, last_error = NULL,
    first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?
WHERE id = ? AND lease_token = ?
