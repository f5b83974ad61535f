-- Route process $1 is alive for $2 ms more; returns how many route processes are alive, itself included.
WITH me AS (
  INSERT INTO router_workers (owner, until) VALUES ($1, ferry_now_ms() + $2)
  ON CONFLICT (owner) DO UPDATE SET until = excluded.until
)
SELECT (COUNT(*) FILTER (WHERE owner <> $1) + 1)::integer AS live FROM router_workers WHERE until > ferry_now_ms()
