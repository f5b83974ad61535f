UPDATE deliveries SET lease_until = @leaseUntil WHERE id = @id
