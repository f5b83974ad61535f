INSERT INTO events (source, message_id, type, user_key, received_at, body)
VALUES (@source, @messageId, @type, @userKey, @receivedAt, @body)
