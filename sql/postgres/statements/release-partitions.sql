-- Route process $1 gives back partitions $2 (above its fair share, or at shutdown): no owner, so
-- the next taker need not clear leases; this process's claims in flight settle as usual, and it
-- claims nothing more there (claim-lanes and renew-lease check ownership).
UPDATE router_partitions SET owner = NULL, until = 0 WHERE owner = $1 AND part = ANY($2::integer[])
