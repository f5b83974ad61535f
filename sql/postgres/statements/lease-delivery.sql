-- The claimed deliveries ($1 ids) are leased until $2 under the claim's token $3.
UPDATE deliveries SET lease_until = $2, lease_token = $3 WHERE id = ANY($1::bigint[])
