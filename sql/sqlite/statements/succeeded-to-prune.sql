-- Succeeded deliveries past retention, a chunk at a time; their attempts go with them.
SELECT id FROM deliveries WHERE state = 'succeeded' AND updated_at < @cutoff LIMIT @limit
