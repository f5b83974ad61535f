-- Succeeded deliveries past retention, a chunk at a time; their attempts go with them.
-- (The IN term lets SQLite use the partial index deliveries_done.)
SELECT id FROM deliveries
WHERE state IN ('succeeded', 'aborted') AND state = 'succeeded' AND updated_at < @cutoff
LIMIT @limit
