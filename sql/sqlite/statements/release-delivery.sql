-- Claimed but not attempted (its user is blocked behind a failing event): back to waiting.
-- Fenced: only the claim that holds the row (its token) releases it.
UPDATE deliveries SET lease_until = 0 WHERE id = @id AND lease_token = @token
