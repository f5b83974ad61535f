-- Replays, newest first, with their deliveries by state ($1 id, null for all; $2 limit).
SELECT r.id, r.destination, r.filter, r.state, r.total, r.created, r.created_at AS "createdAt",
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state = 'succeeded')::integer AS delivered,
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state = 'aborted')::integer AS aborted,
  (SELECT COUNT(*) FROM deliveries d WHERE d.replay_id = r.id AND d.state IN ('pending', 'failed'))::integer AS live
FROM replays r WHERE ($1::bigint IS NULL OR r.id = $1) ORDER BY r.id DESC LIMIT $2
