-- At start: the embedded store has one process, so every lease belongs to a process that died.
-- Returns the ids, whose lanes the store then refreshes (migration 010).
UPDATE deliveries SET lease_until = 0 WHERE lease_until > 0 AND state IN ('pending', 'failed')
RETURNING id
