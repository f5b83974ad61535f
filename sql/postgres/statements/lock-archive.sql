-- Archive appends and erasure rewrites of one file-destination directory ($1, its absolute path)
-- take turns across processes: held until the transaction ends. Key space 4242001 (two int4
-- keys) is the archives'; the migration lock is a one-bigint key.
SELECT pg_advisory_xact_lock(4242001, hashtext($1))
