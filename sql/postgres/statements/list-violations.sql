-- Violations of source $1 and event $2 (null for any).
SELECT source, event, count, rejected, last_at AS "lastAt", last_message AS "lastMessage" FROM plan_violations
WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR event = $2)
ORDER BY source, event
