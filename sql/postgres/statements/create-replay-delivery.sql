-- The deliveries of a replay's copies (arrays, one element per copy): $1 eventSeq, $2 userKey,
-- $3 router partition; $4 day, $5 destination, $6 now (due now), $7 replay.
INSERT INTO deliveries (event_seq, day, destination, user_key, upart, state, next_at, updated_at, replay_id)
SELECT s, $4, $5, u, p, 'pending', $6, $6, $7 FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS x(s, u, p)
