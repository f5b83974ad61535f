-- The audit log, newest first: ids below $1, at most $2.
SELECT id AS id, at AS at, by, address, user_key AS "userKey", suppress, identities, events, deliveries, attempts, links,
       archive_lines AS "archiveLines", completed_at AS "completedAt"
FROM erasures WHERE id < $1 ORDER BY id DESC LIMIT $2
