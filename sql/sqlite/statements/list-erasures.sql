-- The audit log, newest first.
SELECT id, at, by, address, user_key AS userKey, suppress, identities, events, deliveries, attempts, links,
       archive_lines AS archiveLines, completed_at AS completedAt
FROM erasures WHERE id < @beforeId ORDER BY id DESC LIMIT @limit
