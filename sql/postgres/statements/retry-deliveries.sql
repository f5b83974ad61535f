-- Retry now, in bulk: every failed delivery (and aborted ones when $2), of destination $3 or of
-- all, due at $1. An operator's action, not a hot path.
UPDATE deliveries SET state = 'pending', next_at = $1, reason = NULL, updated_at = $1
WHERE (state = 'failed' OR ($2::boolean AND state = 'aborted'))
  AND ($3::text IS NULL OR destination = $3)
