-- The messageIds of the events about to be erased ($1: the graph's ids).
SELECT message_id AS "messageId" FROM events WHERE user_key = ANY($1::text[])
