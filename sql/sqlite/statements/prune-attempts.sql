-- The attempts of pruned deliveries (a JSON array of ids).
DELETE FROM delivery_log WHERE delivery_id IN (SELECT value FROM json_each(@ids))
