-- The lanes of the deliveries @ids (a JSON array) after a statement changed them: each of their
-- (destination, user) gets its oldest live delivery as head, or keeps no lane (close-lanes runs
-- beside this). What the update trigger of migrations 005 and 007 did per row, once per lane.
-- (WHERE true: SQLite needs it to tell the upsert's ON from a join's.)
INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at, source)
SELECT h.destination, h.user_key, h.event_seq, MAX(h.next_at, h.lease_until), COALESCE((SELECT e.source FROM events e WHERE e.seq = h.event_seq), '')
FROM (SELECT DISTINCT d.destination, d.user_key FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(@ids))) l
JOIN deliveries h ON h.id = (
  SELECT x.id FROM deliveries x
  WHERE x.destination = l.destination AND x.user_key = l.user_key AND x.state IN ('pending', 'failed')
  ORDER BY x.event_seq LIMIT 1
)
WHERE true
ON CONFLICT (destination, user_key) DO UPDATE SET head_seq = excluded.head_seq, ready_at = excluded.ready_at, source = excluded.source
WHERE head_seq IS NOT excluded.head_seq OR ready_at IS NOT excluded.ready_at OR source IS NOT excluded.source
