-- The identity graph: which anonymousIds and previousIds a userId has used, recorded in the
-- ingestion transaction from every event that names both (identify, any call made after it,
-- alias previousId -> userId). Erasure walks it: up from the asked id to the userIds it
-- belongs to, then down from those to every id linked to them.
CREATE TABLE identity_links (
  user_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  -- anonymousId | previousId
  kind TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, other_id)
) WITHOUT ROWID;
CREATE INDEX identity_links_other ON identity_links (other_id, user_id);

-- The audit log of erasures: who asked, when, which id, and how many rows of each kind went.
-- Never the erased data itself (no linked ids, no event contents).
CREATE TABLE erasures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  -- token (a Bearer adminToken) | loopback (no token configured)
  by TEXT NOT NULL,
  address TEXT,
  user_key TEXT NOT NULL,
  suppress INTEGER NOT NULL,
  identities INTEGER NOT NULL,
  events INTEGER NOT NULL,
  deliveries INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  links INTEGER NOT NULL,
  -- Filled when the file destinations' archives are rewritten too.
  archive_lines INTEGER,
  completed_at INTEGER
);

-- What an unfinished erasure still has to remove from file archives (the ids of the graph and
-- the erased messageIds), written in the erasure's transaction and deleted when it completes:
-- a crash between the two is finished at the next start.
CREATE TABLE erasures_pending (
  erasure_id INTEGER PRIMARY KEY,
  ids TEXT NOT NULL,
  message_ids TEXT NOT NULL
);
