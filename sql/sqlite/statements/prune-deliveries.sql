-- Succeeded deliveries past retention (a JSON array of ids from succeeded-to-prune).
DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(@ids))
