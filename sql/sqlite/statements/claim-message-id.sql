-- A new (source, messageId), or one last seen before the dedupe cutoff, changes one row.
-- Positional parameters (the ingest hot path; named binding costs ~20 %): source, messageId, now, cutoff.
INSERT INTO dedupe (source, message_id, seen_at) VALUES (?, ?, ?)
ON CONFLICT (source, message_id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedupe.seen_at < ?
