-- An operator aborts waiting deliveries by id ($1); settled ones stay as they are. The lease
-- token is dropped, so a claim that still has the delivery in flight can neither settle nor renew it.
-- $2 reason, $3 now.
UPDATE deliveries SET state = 'aborted', reason = $2, lease_until = 0, lease_token = NULL, updated_at = $3
WHERE id = ANY($1::bigint[]) AND state IN ('pending', 'failed')
