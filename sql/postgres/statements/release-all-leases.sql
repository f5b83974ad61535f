-- A route process takes over router partitions ($1) whose owner's ownership ran out: the leases of
-- their deliveries are dropped and their tokens cleared, so the late owner (if it still runs) can
-- neither renew nor settle them, and this process claims them at once instead of after the lease.
UPDATE deliveries SET lease_until = 0, lease_token = NULL
WHERE upart = ANY($1::integer[]) AND state IN ('pending', 'failed') AND lease_token IS NOT NULL
