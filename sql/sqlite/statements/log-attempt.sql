INSERT INTO delivery_log (delivery_id, attempt, at, status, error, response, duration_ms, outcome)
VALUES (@id, (SELECT attempts FROM deliveries WHERE id = @id), @at, @status, @error, @response, @durationMs, @outcome)
