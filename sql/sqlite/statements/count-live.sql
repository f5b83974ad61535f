-- One destination's live deliveries: due now (claimable or blocked) and failed waiting for a retry.
SELECT SUM(state = 'failed' AND next_at > @now) AS failed, SUM(next_at <= @now) AS due
FROM deliveries WHERE destination = @destination AND state IN ('pending', 'failed')
