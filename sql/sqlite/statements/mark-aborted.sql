-- Fenced: only the claim that holds the row (its token) settles it.
UPDATE deliveries
SET state = 'aborted', attempts = attempts + @attempted, lease_until = 0, reason = @reason,
    last_status = COALESCE(@status, last_status), last_error = COALESCE(@error, last_error),
    first_attempt_at = COALESCE(first_attempt_at, @at), updated_at = @now
WHERE id = @id AND lease_token = @token
