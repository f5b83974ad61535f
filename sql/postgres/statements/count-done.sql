-- One destination's ($1) settled deliveries.
SELECT COUNT(*) FILTER (WHERE state = 'succeeded')::integer AS succeeded,
       COUNT(*) FILTER (WHERE state = 'aborted')::integer AS aborted
FROM deliveries WHERE destination = $1 AND state IN ('succeeded', 'aborted')
