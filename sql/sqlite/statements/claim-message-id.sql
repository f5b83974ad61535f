-- A new (source, messageId), or one last seen before the dedupe cutoff, changes one row.
INSERT INTO dedupe (source, message_id, seen_at) VALUES (@source, @messageId, @now)
ON CONFLICT (source, message_id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedupe.seen_at < @cutoff
