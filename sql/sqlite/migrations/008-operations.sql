-- Operations (issue 17): pauses set by an operator, replays, and tracking-plan violations.

-- A destination an operator paused: its loop claims nothing until it is resumed. A row here
-- survives restarts; resuming deletes it.
CREATE TABLE destination_pauses (
  destination TEXT PRIMARY KEY,
  reason TEXT,
  at INTEGER NOT NULL
) WITHOUT ROWID;

-- A replay sends a range of stored events to a destination again. Each replayed event is
-- appended as a copy (events.replay_id) with a new seq, so its delivery (deliveries.replay_id)
-- queues behind everything its user already has at that destination: every lane, claim and
-- erasure works on copies unchanged. The copy keeps the original's received_at (summaries count
-- it in the window of the original) and body (same messageId, the idempotency key).
ALTER TABLE events ADD COLUMN replay_id INTEGER;
ALTER TABLE deliveries ADD COLUMN replay_id INTEGER;
CREATE INDEX deliveries_replay ON deliveries (replay_id, state) WHERE replay_id IS NOT NULL;

-- state: running (copies being created) | created (all created) | cancelled.
-- filter: what the operator asked, as JSON. match: the JSON the copy statement reads (sources,
-- types, events after the destination's own routing). first_seq..last_seq bound the walk; cursor_seq
-- is the last original seq looked at.
CREATE TABLE replays (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  destination TEXT NOT NULL,
  filter TEXT NOT NULL,
  match TEXT NOT NULL,
  state TEXT NOT NULL,
  total INTEGER NOT NULL,
  created INTEGER NOT NULL DEFAULT 0,
  cursor_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Tracking-plan violations per source and event name (flagged and rejected alike).
CREATE TABLE plan_violations (
  source TEXT NOT NULL,
  event TEXT NOT NULL,
  count INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  last_message TEXT NOT NULL,
  PRIMARY KEY (source, event)
) WITHOUT ROWID;
