-- Every statement on a hot or periodic path finds its rows through an index
-- (test/server/store-plans.test.ts checks the query plans).

-- Lanes: one row per (destination, user) that has live deliveries. head_seq is the event of
-- the user's oldest live delivery (its head); ready_at is when that head can be claimed:
-- MAX(next_at, lease_until). The claim walks due lanes, not deliveries, so a user with 100,000
-- deliveries blocked behind a failing one costs it nothing. The triggers below keep lanes exact
-- whichever statement changes a delivery.
CREATE TABLE delivery_lanes (
  destination TEXT NOT NULL,
  user_key TEXT NOT NULL,
  head_seq INTEGER NOT NULL,
  ready_at INTEGER NOT NULL,
  PRIMARY KEY (destination, user_key)
) WITHOUT ROWID;
CREATE INDEX delivery_lanes_ready ON delivery_lanes (destination, ready_at);

-- Lanes of the deliveries already stored (the bare columns come from the MIN(event_seq) row).
INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at)
SELECT destination, user_key, MIN(event_seq), MAX(next_at, lease_until)
FROM deliveries WHERE state IN ('pending', 'failed')
GROUP BY destination, user_key;

-- A new live delivery opens its user's lane, or heads it if older than the head (event_seq
-- only grows, so in practice it joins the lane behind the head and nothing changes).
CREATE TRIGGER delivery_lanes_on_insert AFTER INSERT ON deliveries
WHEN NEW.state IN ('pending', 'failed')
BEGIN
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at)
  VALUES (NEW.destination, NEW.user_key, NEW.event_seq, MAX(NEW.next_at, NEW.lease_until))
  ON CONFLICT (destination, user_key) DO UPDATE SET head_seq = excluded.head_seq, ready_at = excluded.ready_at
  WHERE excluded.head_seq < delivery_lanes.head_seq;
END;

-- A change to the head (settled, failed, leased, released) or to an older delivery (an aborted
-- one retried) moves the lane to the user's oldest live delivery, or closes it. A change behind
-- the head changes nothing.
CREATE TRIGGER delivery_lanes_on_update AFTER UPDATE OF state, next_at, lease_until ON deliveries
WHEN NEW.event_seq <= COALESCE((SELECT head_seq FROM delivery_lanes WHERE destination = NEW.destination AND user_key = NEW.user_key), NEW.event_seq)
BEGIN
  DELETE FROM delivery_lanes WHERE destination = NEW.destination AND user_key = NEW.user_key;
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at)
  SELECT destination, user_key, event_seq, MAX(next_at, lease_until) FROM deliveries
  WHERE destination = NEW.destination AND user_key = NEW.user_key AND state IN ('pending', 'failed')
  ORDER BY event_seq LIMIT 1;
END;

CREATE TRIGGER delivery_lanes_on_delete AFTER DELETE ON deliveries
WHEN OLD.state IN ('pending', 'failed')
BEGIN
  DELETE FROM delivery_lanes WHERE destination = OLD.destination AND user_key = OLD.user_key;
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at)
  SELECT destination, user_key, event_seq, MAX(next_at, lease_until) FROM deliveries
  WHERE destination = OLD.destination AND user_key = OLD.user_key AND state IN ('pending', 'failed')
  ORDER BY event_seq LIMIT 1;
END;

-- Retention walks events by age.
CREATE INDEX events_received ON events (received_at);

-- Per-destination counts of settled deliveries.
CREATE INDEX deliveries_done_by_destination ON deliveries (destination, state) WHERE state IN ('succeeded', 'aborted');
