-- The aborted deliveries of summarize-deliveries, by reason.
SELECT COALESCE(d.reason, '(no reason)') AS reason, COUNT(*) AS n
FROM events e JOIN deliveries d ON d.event_seq = e.seq
WHERE e.received_at >= @from AND e.received_at < @to AND d.destination = @destination AND d.state = 'aborted'
GROUP BY 1 ORDER BY 1
