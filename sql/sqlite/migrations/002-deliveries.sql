-- One delivery per (event, destination), created in the event's transaction.
-- state: pending (due at next_at) | failed (waiting for next_at) | succeeded | aborted.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq INTEGER NOT NULL,
  destination TEXT NOT NULL,
  user_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  reason TEXT,
  updated_at INTEGER NOT NULL
);
-- Live deliveries per destination in order, and per user for the barrier.
CREATE INDEX deliveries_live ON deliveries (destination, event_seq) WHERE state IN ('pending', 'failed');
CREATE INDEX deliveries_user ON deliveries (destination, user_key, event_seq) WHERE state IN ('pending', 'failed');
CREATE INDEX deliveries_event ON deliveries (event_seq);
CREATE INDEX deliveries_done ON deliveries (state, updated_at) WHERE state IN ('succeeded', 'aborted');

-- Every attempt, kept with the delivery.
CREATE TABLE delivery_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  response TEXT,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL
);
CREATE INDEX delivery_log_delivery ON delivery_log (delivery_id);
