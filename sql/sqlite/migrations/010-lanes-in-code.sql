-- Lanes (migrations 005, 007) kept by the store's code instead of the update trigger. The trigger
-- fired for every updated delivery (the lease at claim, the settle), and its guard ran a lane
-- lookup per row: ~8 µs of the writer per update, twice per delivered event. Every statement that
-- updates a delivery's state, next_at or lease_until now names the rows it changed, and the store
-- refreshes their users' lanes once per statement (refresh-lanes.sql, close-lanes.sql). Inserts and
-- deletes keep their triggers: a new delivery joins its lane behind the head, and a deleted
-- succeeded delivery (prune) changes no lane, so neither costs the hot path a lane rebuild.
DROP TRIGGER delivery_lanes_on_update;

-- Renewals find a claim's rows by the ids the store kept from the claim (renew-lease.sql), not by
-- their token: the index of tokens cost every lease an entry in and every settle one out.
DROP INDEX deliveries_lease;
