-- Where replay $1's walk stands, locked until the step commits: a process that resumed the same
-- replay waits here and then continues from the cursor this step leaves, never copying a seq twice.
SELECT destination, match, state, cursor_seq AS cursor, last_seq AS "lastSeq" FROM replays WHERE id = $1 FOR UPDATE
