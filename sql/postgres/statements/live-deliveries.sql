-- Which of these deliveries ($1) still exist: an erasure deletes its users' deliveries before it
-- rewrites the archives, so a write of one that is gone would put erased data back.
SELECT id FROM deliveries WHERE id = ANY($1::bigint[])
