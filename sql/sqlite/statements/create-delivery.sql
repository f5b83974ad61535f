INSERT INTO deliveries (event_seq, destination, user_key, state, next_at, updated_at)
VALUES (@eventSeq, @destination, @userKey, 'pending', @now, @now)
