-- Positional parameters (the ingest hot path): source, messageId, type, userKey, receivedAt, body.
INSERT INTO events (source, message_id, type, user_key, received_at, body)
VALUES (?, ?, ?, ?, ?, ?)
