-- The day partitions that exist (events_dNNNNN), oldest first.
SELECT substring(c.relname FROM 9)::integer AS day
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass
ORDER BY 1
