-- An operator aborts waiting deliveries by id (a JSON array); settled ones stay as they are.
UPDATE deliveries SET state = 'aborted', reason = @reason, lease_until = 0, updated_at = @now
WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('pending', 'failed')
