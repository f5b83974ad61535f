-- A claim still at work extends its lease. Only rows that still carry its token are extended (a
-- row taken over by a newer claim, aborted or erased meanwhile is not); their ids are returned,
-- and the claim sends nothing else.
UPDATE deliveries SET lease_until = @leaseUntil
WHERE lease_token = @token AND state IN ('pending', 'failed')
RETURNING id
