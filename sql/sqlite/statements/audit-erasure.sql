-- The audit row of one erasure, written in its transaction: who, when, what was asked, counts.
INSERT INTO erasures (at, by, address, user_key, suppress, identities, events, deliveries, attempts, links)
VALUES (@at, @by, @address, @userKey, @suppress, @identities, @events, @deliveries, @attempts, @links)
