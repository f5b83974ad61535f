-- The original events a replay will copy ($1..$2 receipt window, $3 sources, $4 types, $5 track
-- event names; the last two null for any): how many, and the seq range its walk covers.
SELECT COUNT(*)::integer AS total, MIN(seq) AS "firstSeq", MAX(seq) AS "lastSeq" FROM events
WHERE received_at >= $1 AND received_at < $2 AND replay_id IS NULL
  AND source = ANY($3::text[])
  AND ($4::text[] IS NULL OR type = ANY($4::text[]))
  AND ($5::text[] IS NULL OR (type = 'track' AND (body::json ->> 'event') = ANY($5::text[])))
