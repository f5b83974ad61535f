-- A cancelled replay's waiting deliveries; the lease token is dropped, so a claim that still has
-- one in flight cannot settle it (as abort-deliveries).
-- Returns the ids, whose lanes the store then refreshes (migration 010).
UPDATE deliveries SET state = 'aborted', reason = @reason, lease_until = 0, lease_token = NULL, updated_at = @now
WHERE replay_id = @id AND state IN ('pending', 'failed')
RETURNING id
