-- Claimed but not attempted (its user is blocked behind a failing event): back to waiting.
UPDATE deliveries SET lease_until = 0 WHERE id = @id
