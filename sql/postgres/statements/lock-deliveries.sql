-- The rows a settle is about to change ($1 ids), locked in the order claims lock them (user, then
-- event), so a settle and a claim of the same process never wait on each other in a cycle.
SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) ORDER BY destination, user_key, event_seq FOR UPDATE
