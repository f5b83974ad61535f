-- The destinations an operator paused (read at start and after each pause or resume).
SELECT destination, reason, at FROM destination_pauses ORDER BY destination
