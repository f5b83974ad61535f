-- Positional parameters (the ingest hot path): eventSeq, destination, userKey, nextAt, updatedAt.
INSERT INTO deliveries (event_seq, destination, user_key, state, next_at, updated_at)
VALUES (?, ?, ?, 'pending', ?, ?)
