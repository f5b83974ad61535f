-- When the oldest live delivery of a destination was created: its event's receipt, or its
-- replay's creation (seq order is creation order: copies are appended).
SELECT COALESCE(r.created_at, e.received_at)
FROM deliveries d JOIN events e ON e.seq = d.event_seq LEFT JOIN replays r ON r.id = d.replay_id
WHERE d.destination = @destination AND d.state IN ('pending', 'failed')
ORDER BY d.event_seq LIMIT 1
