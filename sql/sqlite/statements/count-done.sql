-- One destination's settled deliveries (the rest of retention).
SELECT SUM(state = 'succeeded') AS succeeded, SUM(state = 'aborted') AS aborted
FROM deliveries WHERE destination = @destination AND state IN ('succeeded', 'aborted')
