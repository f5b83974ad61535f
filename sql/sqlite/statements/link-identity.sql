-- Positional parameters (the ingest hot path): userId, otherId, kind, firstSeenAt. A link is
-- recorded once; later events naming the same pair change nothing.
INSERT INTO identity_links (user_id, other_id, kind, first_seen_at) VALUES (?, ?, ?, ?)
ON CONFLICT (user_id, other_id) DO NOTHING
