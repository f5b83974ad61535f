-- Every succeeded outcome of one settle in one statement (the delivery hot path): @outcomes is a
-- JSON array of [id, status, attemptAt]. Fenced: only the rows the claim still holds (its @token)
-- change; their ids are returned, and only their attempts are logged.
UPDATE deliveries
SET state = 'succeeded', attempts = attempts + 1, lease_until = 0, last_status = o.status, last_error = NULL,
    first_attempt_at = COALESCE(first_attempt_at, o.at), updated_at = @now
FROM (SELECT value ->> 0 AS id, value ->> 1 AS status, value ->> 2 AS at FROM json_each(@outcomes)) AS o
WHERE deliveries.id = o.id AND deliveries.lease_token = @token
RETURNING deliveries.id
