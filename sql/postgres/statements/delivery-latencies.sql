-- Receipt to delivery (the settle that recorded the success) of the succeeded deliveries of
-- summarize-deliveries, shortest first; only those at the ranks $4 (1-based) come back, so the
-- percentiles cost one sort in the database and a handful of rows on the wire. A replayed
-- delivery's receipt is its replay's creation.
SELECT ms FROM (
  SELECT GREATEST(0, d.updated_at - COALESCE(r.created_at, e.received_at)) AS ms,
    row_number() OVER (ORDER BY GREATEST(0, d.updated_at - COALESCE(r.created_at, e.received_at))) AS rank
  FROM events e JOIN deliveries d ON d.event_seq = e.seq AND d.day = e.day LEFT JOIN replays r ON r.id = d.replay_id
  WHERE e.received_at >= $2 AND e.received_at < $3 AND d.destination = $1 AND d.state = 'succeeded'
) ranked
WHERE rank = ANY($4::bigint[])
ORDER BY rank
