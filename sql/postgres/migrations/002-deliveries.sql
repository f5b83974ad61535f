-- One delivery per (event, destination), created in the event's transaction, in the event's day
-- partition. state: pending (due at next_at) | failed (waiting for next_at) | succeeded | aborted.
-- upart: the router partition of user_key (see migration 004); claims only take the partitions
-- their process owns.
CREATE SEQUENCE deliveries_id_seq;
CREATE TABLE deliveries (
  id bigint NOT NULL DEFAULT nextval('deliveries_id_seq'),
  day integer NOT NULL,
  event_seq bigint NOT NULL,
  destination text NOT NULL,
  user_key text NOT NULL,
  upart integer NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_at bigint NOT NULL,
  lease_until bigint NOT NULL DEFAULT 0,
  lease_token text,
  first_attempt_at bigint,
  last_status integer,
  last_error text,
  reason text,
  updated_at bigint NOT NULL,
  PRIMARY KEY (id, day)
) PARTITION BY RANGE (day);
-- Live deliveries per destination and user, in order: the claim's walk and the per-user barrier.
CREATE INDEX deliveries_user ON deliveries (destination, upart, user_key, event_seq) WHERE state IN ('pending', 'failed');
CREATE INDEX deliveries_event ON deliveries (event_seq);
CREATE INDEX deliveries_done ON deliveries (destination, state) WHERE state IN ('succeeded', 'aborted');
CREATE INDEX deliveries_lease ON deliveries (lease_token) WHERE state IN ('pending', 'failed');

-- Every attempt, kept with its delivery, in the delivery's day partition.
CREATE SEQUENCE delivery_log_id_seq;
CREATE TABLE delivery_log (
  id bigint NOT NULL DEFAULT nextval('delivery_log_id_seq'),
  day integer NOT NULL,
  delivery_id bigint NOT NULL,
  attempt integer NOT NULL,
  at bigint NOT NULL,
  status integer,
  error text,
  response text,
  duration_ms integer NOT NULL,
  outcome text NOT NULL,
  PRIMARY KEY (id, day)
) PARTITION BY RANGE (day);
CREATE INDEX delivery_log_delivery ON delivery_log (delivery_id);
