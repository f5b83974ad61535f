-- The group commit's (source, messageId) pairs in one multi-row statement: $1 sources, $2
-- messageIds (text[], sorted, no pair twice: two processes inserting overlapping batches then
-- lock the keys in the same order), $3 now, $4 the dedupe cutoff. A pair is new, or was last seen
-- before the cutoff, when its row comes back: a concurrent commit of the same pair makes this one
-- wait for it and then see it, so exactly one of them gets the row (the unique key decides).
INSERT INTO dedupe (source, message_id, seen_at)
SELECT s, m, $3 FROM unnest($1::text[], $2::text[]) AS u(s, m)
ON CONFLICT (source, message_id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedupe.seen_at < $4
RETURNING source, message_id AS "messageId"
