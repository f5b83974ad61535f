-- At start: the embedded store has one process, so every lease belongs to a process that died.
UPDATE deliveries SET lease_until = 0 WHERE lease_until > 0 AND state IN ('pending', 'failed')
