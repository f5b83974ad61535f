-- When the oldest live delivery of destination $1 was created: its event's receipt, or its
-- replay's creation (seq order is creation order: copies are appended).
SELECT COALESCE(r.created_at, e.received_at) AS at
FROM deliveries d JOIN events e ON e.seq = d.event_seq AND e.day = d.day LEFT JOIN replays r ON r.id = d.replay_id
WHERE d.destination = $1 AND d.state IN ('pending', 'failed')
ORDER BY d.event_seq LIMIT 1
