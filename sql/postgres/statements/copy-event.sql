-- A replay's copies (one multi-row insert): the originals $2 appended under the new seqs $1 (in
-- order, after everything stored), in day partition $3, marked with replay $4.
INSERT INTO events (seq, day, source, message_id, type, user_key, received_at, body, replay_id)
SELECT x.copy, $3, e.source, e.message_id, e.type, e.user_key, e.received_at, e.body, $4
FROM unnest($1::bigint[], $2::bigint[]) AS x(copy, original) JOIN events e ON e.seq = x.original
