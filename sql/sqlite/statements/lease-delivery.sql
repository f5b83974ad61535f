-- The claimed deliveries (a JSON array of ids) are leased until @leaseUntil.
UPDATE deliveries SET lease_until = @leaseUntil WHERE id IN (SELECT value FROM json_each(@ids))
