-- Day partitions of events, deliveries and delivery_log, created together (and dropped together,
-- drop-day.sql). Several processes may ask at once: a transaction-scoped advisory lock makes the
-- second wait and then find the tables there.
CREATE FUNCTION ferry_ensure_day(d integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass(format('events_d%s', d)) IS NOT NULL THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(4242001);
  EXECUTE format('CREATE TABLE IF NOT EXISTS events_d%s PARTITION OF events FOR VALUES FROM (%s) TO (%s)', d, d, d + 1);
  EXECUTE format('CREATE TABLE IF NOT EXISTS deliveries_d%s PARTITION OF deliveries FOR VALUES FROM (%s) TO (%s)', d, d, d + 1);
  EXECUTE format('CREATE TABLE IF NOT EXISTS delivery_log_d%s PARTITION OF delivery_log FOR VALUES FROM (%s) TO (%s)', d, d, d + 1);
END $$;

-- The database's clock in ms: router partition ownership is judged by one clock for every
-- process, whatever machine it runs on.
CREATE FUNCTION ferry_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

-- Router partitions: every user belongs to one of a fixed number of partitions (upart, a hash
-- of its key computed by the server). A route process owns a partition while its row here names
-- it and `until` (the database's clock, in ms) is ahead; it renews its rows every second or so.
-- A partition released on purpose has no owner; one whose owner stopped renewing is expired, and
-- whoever takes it clears its deliveries' leases (release-all-leases.sql). Taking a partition over
-- bumps `epoch`. See src/server/store/router-partitions.ts.
CREATE TABLE router_partitions (
  part integer PRIMARY KEY,
  owner text,
  epoch bigint NOT NULL DEFAULT 0,
  until bigint NOT NULL DEFAULT 0
);
INSERT INTO router_partitions (part) SELECT generate_series(0, 63);

-- The route processes alive (renewed with their partitions): each takes its fair share,
-- ceil(partitions / live workers), and gives back what is above it.
CREATE TABLE router_workers (
  owner text PRIMARY KEY,
  until bigint NOT NULL
);

-- Retention drops a whole day (its events, deliveries and attempts) once what must stay was
-- carried over to a newer day (carry-over-*.sql). Two processes pruning at once: the second waits,
-- then finds nothing to drop.
CREATE FUNCTION ferry_drop_day(d integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TABLE IF EXISTS delivery_log_d%s, deliveries_d%s, events_d%s', d, d, d);
END $$;
