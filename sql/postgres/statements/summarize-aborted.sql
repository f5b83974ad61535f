-- The aborted deliveries of summarize-deliveries, by reason.
SELECT COALESCE(d.reason, '(no reason)') AS reason, COUNT(*)::integer AS n
FROM events e JOIN deliveries d ON d.event_seq = e.seq AND d.day = e.day
WHERE e.received_at >= $2 AND e.received_at < $3 AND d.destination = $1 AND d.state = 'aborted'
GROUP BY 1 ORDER BY 1
