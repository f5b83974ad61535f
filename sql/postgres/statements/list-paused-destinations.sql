-- The destinations an operator paused (read at start).
SELECT destination, reason, at FROM destination_pauses ORDER BY destination
