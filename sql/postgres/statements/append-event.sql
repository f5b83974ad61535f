-- The new events of one group commit in one multi-row insert (arrays, one element per event):
-- $1 seq, $2 day, $3 source, $4 messageId, $5 type, $6 userKey, $7 receivedAt, $8 body.
INSERT INTO events (seq, day, source, message_id, type, user_key, received_at, body)
SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
