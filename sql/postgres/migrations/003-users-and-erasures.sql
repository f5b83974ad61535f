-- Suppressed users, the identity graph and the erasure audit log: as in sql/sqlite (003, 004).
CREATE TABLE suppressed_users (
  user_key text PRIMARY KEY,
  at bigint NOT NULL,
  reason text
);

CREATE TABLE identity_links (
  user_id text NOT NULL,
  other_id text NOT NULL,
  -- anonymousId | previousId
  kind text NOT NULL,
  first_seen_at bigint NOT NULL,
  PRIMARY KEY (user_id, other_id)
);
CREATE INDEX identity_links_other ON identity_links (other_id, user_id);

CREATE TABLE erasures (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  by text NOT NULL,
  address text,
  user_key text NOT NULL,
  suppress boolean NOT NULL,
  identities integer NOT NULL,
  events integer NOT NULL,
  deliveries integer NOT NULL,
  attempts integer NOT NULL,
  links integer NOT NULL,
  archive_lines integer,
  completed_at bigint
);

CREATE TABLE erasures_pending (
  erasure_id bigint PRIMARY KEY,
  ids text NOT NULL,
  message_ids text NOT NULL
);
