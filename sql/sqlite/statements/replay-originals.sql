-- The next originals of a replay, in seq order, among seqs (@cursor, @upTo]: the walk goes by
-- primary key a bounded slice at a time, however few events of the slice match.
SELECT seq, user_key AS userKey FROM events
WHERE seq > @cursor AND seq <= @upTo AND received_at >= @from AND received_at < @to AND replay_id IS NULL
  AND source IN (SELECT value FROM json_each(@sources))
  AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
  AND (@events IS NULL OR (type = 'track' AND json_extract(body, '$.event') IN (SELECT value FROM json_each(@events))))
ORDER BY seq
