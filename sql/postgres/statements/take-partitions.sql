-- Route process $1 takes up to $3 partitions that nobody owns (released on purpose) or whose
-- owner stopped renewing them, for $2 ms. `expired` says the previous owner may still be at work
-- (stalled or dead): its deliveries' leases are then cleared in the same transaction.
WITH free AS (
  SELECT part, owner IS NOT NULL AS expired FROM router_partitions
  WHERE owner IS NULL OR until <= ferry_now_ms()
  ORDER BY part LIMIT $3
  FOR UPDATE SKIP LOCKED
)
UPDATE router_partitions p SET owner = $1, epoch = p.epoch + 1, until = ferry_now_ms() + $2
FROM free WHERE p.part = free.part
RETURNING p.part, free.expired
