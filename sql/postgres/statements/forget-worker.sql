-- Route process $1 stops, and workers gone for a minute are forgotten.
DELETE FROM router_workers WHERE owner = $1 OR until < ferry_now_ms() - 60000
