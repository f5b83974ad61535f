-- The identity links of one group commit (arrays): $1 userId, $2 otherId, $3 kind, $4 firstSeenAt.
-- A link is recorded once; later events naming the same pair change nothing.
INSERT INTO identity_links (user_id, other_id, kind, first_seen_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
ON CONFLICT (user_id, other_id) DO NOTHING
