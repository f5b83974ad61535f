-- The partitions of day $1 (events, deliveries, attempts), created if missing (migration 004).
SELECT ferry_ensure_day($1::integer)
