-- Tracking-plan violations of one event name of a source: counted, the latest message kept.
-- $1 source, $2 event, $3 count, $4 rejected, $5 at, $6 message.
INSERT INTO plan_violations (source, event, count, rejected, last_at, last_message)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (source, event) DO UPDATE SET count = plan_violations.count + excluded.count,
  rejected = plan_violations.rejected + excluded.rejected,
  last_at = GREATEST(plan_violations.last_at, excluded.last_at), last_message = excluded.last_message
