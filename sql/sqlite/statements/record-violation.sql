-- Tracking-plan violations of one event name of a source: counted, the latest message kept.
INSERT INTO plan_violations (source, event, count, rejected, last_at, last_message)
VALUES (@source, @event, @count, @rejected, @at, @message)
ON CONFLICT (source, event) DO UPDATE SET count = count + excluded.count, rejected = rejected + excluded.rejected,
  last_at = MAX(last_at, excluded.last_at), last_message = excluded.last_message
