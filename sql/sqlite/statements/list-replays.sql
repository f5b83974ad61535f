-- Replays, newest first, with their deliveries by state (@id null for all).
SELECT r.id, r.destination, r.filter, r.state, r.total, r.created, r.created_at AS createdAt,
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state = 'succeeded') AS delivered,
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state = 'aborted') AS aborted,
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state IN ('pending', 'failed')) AS live
FROM replays r WHERE (@id IS NULL OR r.id = @id) ORDER BY r.id DESC LIMIT @limit
