-- Operations (issue 17): pauses set by an operator, replays, and tracking-plan violations; as in
-- sql/sqlite/migrations/008-operations.sql.

-- A destination an operator paused: its loop claims nothing until it is resumed. A row here
-- survives restarts; resuming deletes it.
CREATE TABLE destination_pauses (
  destination text PRIMARY KEY,
  reason text,
  at bigint NOT NULL
);

-- A replay sends a range of stored events to a destination again. Each replayed event is
-- appended as a copy (events.replay_id) with a new seq, so its delivery (deliveries.replay_id)
-- queues behind everything its user already has at that destination: every claim, retention and
-- erasure works on copies unchanged. The copy keeps the original's received_at (summaries count
-- it in the window of the original) and body (same messageId, the idempotency key); it is stored
-- in the day partition of its creation, as retention's carried-over rows are.
ALTER TABLE events ADD COLUMN replay_id bigint;
ALTER TABLE deliveries ADD COLUMN replay_id bigint;
CREATE INDEX deliveries_replay ON deliveries (replay_id, state) WHERE replay_id IS NOT NULL;
-- The summary's and the replay's walk by receipt time.
CREATE INDEX events_received ON events (received_at);

-- state: running (copies being created) | created (all created) | cancelled.
-- filter: what the operator asked, as JSON. match: the JSON the copy statement reads (sources,
-- types, events after the destination's own routing). cursor_seq..last_seq bound the walk;
-- cursor_seq is the last original seq looked at. A step locks its row (get-replay.sql): processes
-- that resume the same replay take turns and never copy a seq twice.
CREATE TABLE replays (
  id bigserial PRIMARY KEY,
  destination text NOT NULL,
  filter text NOT NULL,
  match text NOT NULL,
  state text NOT NULL,
  total integer NOT NULL,
  created integer NOT NULL DEFAULT 0,
  cursor_seq bigint NOT NULL,
  last_seq bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

-- Tracking-plan violations per source and event name (flagged and rejected alike).
CREATE TABLE plan_violations (
  source text NOT NULL,
  event text NOT NULL,
  count bigint NOT NULL,
  rejected bigint NOT NULL,
  last_at bigint NOT NULL,
  last_message text NOT NULL,
  PRIMARY KEY (source, event)
);
