-- A cancelled replay's ($1) waiting deliveries ($2 reason, $3 now); the lease token is dropped, so
-- a claim that still has one in flight cannot settle it (as abort-deliveries).
UPDATE deliveries SET state = 'aborted', reason = $2, lease_until = 0, lease_token = NULL, updated_at = $3
WHERE replay_id = $1 AND state IN ('pending', 'failed')
