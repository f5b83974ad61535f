-- $1 destination, $2 filter, $3 match, $4 total, $5 cursor (before the first seq), $6 last seq, $7 now.
INSERT INTO replays (destination, filter, match, state, total, created, cursor_seq, last_seq, created_at, updated_at)
VALUES ($1, $2, $3, 'running', $4, 0, $5, $6, $7, $7)
RETURNING id
