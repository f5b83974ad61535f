UPDATE deliveries
SET state = 'succeeded', attempts = attempts + 1, lease_until = 0, last_status = @status, last_error = NULL,
    first_attempt_at = COALESCE(first_attempt_at, @at), updated_at = @now
WHERE id = @id
