-- Retry now, by id: failed deliveries (and aborted ones when @includeAborted is 1) become due,
-- optionally only those of @destination.
UPDATE deliveries SET state = 'pending', next_at = @now, reason = NULL, updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids))
  AND (state = 'failed' OR (@includeAborted AND state = 'aborted'))
  AND (@destination IS NULL OR destination = @destination)
