-- The users of destination $1, among the router partitions this process owns ($4: owner id; the
-- ownership must still hold by the database's clock), whose oldest live delivery is due and
-- unleased at $2, earliest due first, at most $3. Each user's head is found through the index
-- deliveries_user. Unlike SQLite there is no lanes table: its triggers would serialise every
-- ingest process on the lanes of popular users.
WITH owned AS (
  SELECT part FROM router_partitions
  WHERE owner = $4 AND until > ferry_now_ms()
),
heads AS (
  SELECT DISTINCT ON (d.upart, d.user_key) d.user_key, GREATEST(d.next_at, d.lease_until) AS ready_at
  FROM deliveries d JOIN owned o ON o.part = d.upart
  WHERE d.destination = $1 AND d.state IN ('pending', 'failed')
  ORDER BY d.upart, d.user_key, d.event_seq
)
SELECT user_key AS "userKey" FROM heads WHERE ready_at <= $2 ORDER BY ready_at LIMIT $3
