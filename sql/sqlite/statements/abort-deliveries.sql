-- An operator aborts waiting deliveries by id (a JSON array); settled ones stay as they are.
-- The lease token is dropped, so a claim that still has the delivery in flight can neither
-- settle it (its late answer would undo the abort) nor renew its lease.
UPDATE deliveries SET state = 'aborted', reason = @reason, lease_until = 0, lease_token = NULL, updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('pending', 'failed')
