-- Positional parameters (the delivery hot path): deliveryId, attempt, at, status, error, response, durationMs, outcome.
INSERT INTO delivery_log (delivery_id, attempt, at, status, error, response, duration_ms, outcome)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
