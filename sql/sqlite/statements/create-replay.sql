INSERT INTO replays (destination, filter, match, state, total, created, cursor_seq, last_seq, created_at, updated_at)
VALUES (@destination, @filter, @match, 'running', @total, 0, @cursorSeq, @lastSeq, @now, @now)
