-- A claim still at work extends its lease: @ids (a JSON array) are the rows it claimed, and only
-- those that still carry its @token are extended (a row taken over by a newer claim, aborted or
-- erased meanwhile is not); their ids are returned, and the claim sends nothing else.
UPDATE deliveries SET lease_until = @leaseUntil
WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_token = @token AND state IN ('pending', 'failed')
RETURNING id
