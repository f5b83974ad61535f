-- Receipt to delivery (the settle that recorded the success) of the succeeded deliveries of
-- summarize-deliveries, shortest first. A replayed delivery's receipt is its replay's creation.
SELECT MAX(0, d.updated_at - COALESCE(r.created_at, e.received_at)) AS ms
FROM events e JOIN deliveries d ON d.event_seq = e.seq LEFT JOIN replays r ON r.id = d.replay_id
WHERE e.received_at >= @from AND e.received_at < @to AND d.destination = @destination AND d.state = 'succeeded'
ORDER BY 1
