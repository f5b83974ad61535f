-- Where a replay's walk stands.
SELECT destination, match, state, cursor_seq AS cursor, last_seq AS lastSeq FROM replays WHERE id = @id
