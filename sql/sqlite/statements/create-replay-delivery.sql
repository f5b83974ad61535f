-- The delivery of a replay's copy: due now, marked with the replay.
INSERT INTO deliveries (event_seq, destination, user_key, state, next_at, updated_at, replay_id)
VALUES (@seq, @destination, @userKey, 'pending', @now, @now, @replayId)
