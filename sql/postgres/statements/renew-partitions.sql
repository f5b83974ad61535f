-- Route process $1 keeps its router partitions for $2 ms more (by the database's clock). A row it
-- still names was taken by nobody, even if its time had run out, so renewing it is safe.
UPDATE router_partitions SET until = ferry_now_ms() + $2 WHERE owner = $1
RETURNING part
