-- Retry now, by id ($1): failed deliveries (and aborted ones when $3) become due at $2,
-- optionally only those of destination $4.
UPDATE deliveries SET state = 'pending', next_at = $2, reason = NULL, updated_at = $2
WHERE id = ANY($1::bigint[])
  AND (state = 'failed' OR ($3::boolean AND state = 'aborted'))
  AND ($4::text IS NULL OR destination = $4)
