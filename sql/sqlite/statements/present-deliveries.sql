-- Which of a settle's deliveries (@ids: a JSON array) still exist: one claimed and then gone was
-- erased while in flight (prune takes only succeeded rows, which no claim holds).
SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(@ids))
