-- Retention: day $1's partitions go whole, after carry-over (DROP TABLE: no row-by-row DELETE, no bloat).
SELECT ferry_drop_day($1::integer)
