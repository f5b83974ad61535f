-- Retry now, in bulk: every failed delivery (and aborted ones when @includeAborted is 1), of
-- @destination or of all. An operator's action, not a hot path: it may visit every delivery.
-- Returns the ids, whose lanes the store then refreshes (migration 010).
UPDATE deliveries SET state = 'pending', next_at = @now, reason = NULL, updated_at = @now
WHERE (state = 'failed' OR (@includeAborted AND state = 'aborted'))
  AND (@destination IS NULL OR destination = @destination)
RETURNING id
