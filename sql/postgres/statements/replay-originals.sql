-- The next originals of a replay ($1..$5 as replay-range), in seq order, among seqs ($6, $7]:
-- the walk goes by primary key a bounded slice at a time, however few events of the slice match.
SELECT seq, user_key AS "userKey" FROM events
WHERE received_at >= $1 AND received_at < $2 AND replay_id IS NULL
  AND source = ANY($3::text[])
  AND ($4::text[] IS NULL OR type = ANY($4::text[]))
  AND ($5::text[] IS NULL OR (type = 'track' AND (body::json ->> 'event') = ANY($5::text[])))
  AND seq > $6 AND seq <= $7
ORDER BY seq
