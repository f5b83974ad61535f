-- Blocked: due deliveries behind their user's oldest live delivery while it waits for a retry.
SELECT COUNT(*) FROM delivery_lanes l
JOIN deliveries h ON h.destination = l.destination AND h.event_seq = l.head_seq AND h.state IN ('pending', 'failed')
JOIN deliveries d ON d.destination = l.destination AND d.user_key = l.user_key AND d.state IN ('pending', 'failed')
  AND d.event_seq > l.head_seq AND d.next_at <= @now
WHERE l.destination = @destination AND l.ready_at > @now AND h.state = 'failed' AND h.next_at > @now
