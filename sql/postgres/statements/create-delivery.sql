-- The deliveries of one group commit in one multi-row insert (arrays, one element per delivery):
-- $1 eventSeq, $2 day, $3 destination, $4 userKey, $5 router partition, $6 nextAt (= updatedAt).
INSERT INTO deliveries (event_seq, day, destination, user_key, upart, state, next_at, updated_at)
SELECT s, d, dest, u, p, 'pending', t, t FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::integer[], $6::bigint[]) AS x(s, d, dest, u, p, t)
