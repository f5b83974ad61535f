-- One destination's ($1) live deliveries at $2: due now (claimable or blocked) and failed waiting for a retry.
SELECT COUNT(*) FILTER (WHERE state = 'failed' AND next_at > $2)::integer AS failed,
       COUNT(*) FILTER (WHERE next_at <= $2)::integer AS due
FROM deliveries WHERE destination = $1 AND state IN ('pending', 'failed')
