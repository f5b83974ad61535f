-- Every delivery of the graph's events ($1: the graph's ids), locked before an erasure scrubs and
-- deletes: a settle holding some of them commits its attempts first. Locked in the order settles
-- and claims lock them (lock-deliveries.sql), so none of them waits on the erasure in a cycle.
SELECT d.id FROM deliveries d WHERE d.event_seq IN (SELECT e.seq FROM events e WHERE e.user_key = ANY($1::text[]))
ORDER BY d.destination, d.user_key, d.event_seq FOR UPDATE OF d
