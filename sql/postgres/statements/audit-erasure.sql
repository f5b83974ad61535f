-- The audit row of one erasure, written in its transaction: who, when, what was asked, counts.
-- $1 at, $2 by, $3 address, $4 userKey, $5 suppress, $6 identities, $7 events, $8 deliveries, $9 attempts, $10 links.
INSERT INTO erasures (at, by, address, user_key, suppress, identities, events, deliveries, attempts, links)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id AS id
