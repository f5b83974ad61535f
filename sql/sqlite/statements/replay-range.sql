-- The original events a replay will copy (@sources, @types, @events: JSON arrays, the last two
-- null for any): how many, and the seq range its walk covers.
SELECT COUNT(*) AS total, MIN(seq) AS firstSeq, MAX(seq) AS lastSeq FROM events
WHERE received_at >= @from AND received_at < @to AND replay_id IS NULL
  AND source IN (SELECT value FROM json_each(@sources))
  AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
  AND (@events IS NULL OR (type = 'track' AND json_extract(body, '$.event') IN (SELECT value FROM json_each(@events))))
