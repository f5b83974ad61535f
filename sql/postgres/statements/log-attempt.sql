-- The attempts of one settle in one multi-row insert (arrays): $1 deliveryId, $2 day, $3 attempt,
-- $4 at, $5 status, $6 error, $7 response, $8 durationMs, $9 outcome.
INSERT INTO delivery_log (delivery_id, day, attempt, at, status, error, response, duration_ms, outcome)
SELECT * FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::bigint[], $5::integer[], $6::text[], $7::text[], $8::integer[], $9::text[])
