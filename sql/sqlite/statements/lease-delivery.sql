-- The claimed deliveries (a JSON array of ids) are leased until @leaseUntil under the claim's @token.
UPDATE deliveries SET lease_until = @leaseUntil, lease_token = @token WHERE id IN (SELECT value FROM json_each(@ids))
