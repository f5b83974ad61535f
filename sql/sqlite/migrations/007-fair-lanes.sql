-- Fair claims between sources: each lane (migration 005) carries the source of its head event,
-- so a claim can give every source with due lanes its share instead of taking the lanes due
-- longest first, which let one source's flood hold back every other source behind it.
-- The lane stays per (destination, user): a user's events from several sources keep one order.
ALTER TABLE delivery_lanes ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE delivery_lanes SET source = COALESCE((SELECT e.source FROM events e WHERE e.seq = delivery_lanes.head_seq), '');

DROP INDEX delivery_lanes_ready;
CREATE INDEX delivery_lanes_ready ON delivery_lanes (destination, source, ready_at);

-- The triggers of migration 005, now writing the head's source as well.
DROP TRIGGER delivery_lanes_on_insert;
CREATE TRIGGER delivery_lanes_on_insert AFTER INSERT ON deliveries
WHEN NEW.state IN ('pending', 'failed')
BEGIN
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at, source)
  VALUES (NEW.destination, NEW.user_key, NEW.event_seq, MAX(NEW.next_at, NEW.lease_until),
          COALESCE((SELECT source FROM events WHERE seq = NEW.event_seq), ''))
  ON CONFLICT (destination, user_key) DO UPDATE SET head_seq = excluded.head_seq, ready_at = excluded.ready_at, source = excluded.source
  WHERE excluded.head_seq < delivery_lanes.head_seq;
END;

DROP TRIGGER delivery_lanes_on_update;
CREATE TRIGGER delivery_lanes_on_update AFTER UPDATE OF state, next_at, lease_until ON deliveries
WHEN NEW.event_seq <= COALESCE((SELECT head_seq FROM delivery_lanes WHERE destination = NEW.destination AND user_key = NEW.user_key), NEW.event_seq)
BEGIN
  DELETE FROM delivery_lanes WHERE destination = NEW.destination AND user_key = NEW.user_key;
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at, source)
  SELECT d.destination, d.user_key, d.event_seq, MAX(d.next_at, d.lease_until), COALESCE((SELECT e.source FROM events e WHERE e.seq = d.event_seq), '')
  FROM deliveries d
  WHERE d.destination = NEW.destination AND d.user_key = NEW.user_key AND d.state IN ('pending', 'failed')
  ORDER BY d.event_seq LIMIT 1;
END;

DROP TRIGGER delivery_lanes_on_delete;
CREATE TRIGGER delivery_lanes_on_delete AFTER DELETE ON deliveries
WHEN OLD.state IN ('pending', 'failed')
BEGIN
  DELETE FROM delivery_lanes WHERE destination = OLD.destination AND user_key = OLD.user_key;
  INSERT INTO delivery_lanes (destination, user_key, head_seq, ready_at, source)
  SELECT d.destination, d.user_key, d.event_seq, MAX(d.next_at, d.lease_until), COALESCE((SELECT e.source FROM events e WHERE e.seq = d.event_seq), '')
  FROM deliveries d
  WHERE d.destination = OLD.destination AND d.user_key = OLD.user_key AND d.state IN ('pending', 'failed')
  ORDER BY d.event_seq LIMIT 1;
END;
