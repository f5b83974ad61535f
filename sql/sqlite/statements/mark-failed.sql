-- Fenced: only the claim that holds the row (its token) settles it.
UPDATE deliveries
SET state = 'failed', attempts = attempts + 1, lease_until = 0, next_at = @nextAt, last_status = @status,
    last_error = @error, first_attempt_at = COALESCE(first_attempt_at, @at), updated_at = @now
WHERE id = @id AND lease_token = @token
