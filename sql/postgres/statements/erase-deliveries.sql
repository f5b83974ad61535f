-- Every delivery of the graph's events, live or done ($1: the graph's ids).
DELETE FROM deliveries WHERE event_seq IN (SELECT e.seq FROM events e WHERE e.user_key = ANY($1::text[]))
