-- Claimed but not attempted (its user is blocked behind a failing event): back to waiting.
-- Fenced: only the claim that holds the row (its token $2) releases it. $1 ids.
UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1::bigint[]) AND lease_token = $2
