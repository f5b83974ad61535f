DELETE FROM deliveries WHERE id IN (
  SELECT id FROM deliveries WHERE state = 'succeeded' AND updated_at < @cutoff LIMIT @limit
)
