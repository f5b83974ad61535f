-- A replay's copy of one event: appended (a new seq, after everything stored), marked with the replay.
INSERT INTO events (source, message_id, type, user_key, received_at, body, replay_id)
SELECT source, message_id, type, user_key, received_at, body, @replayId FROM events WHERE seq = @seq
