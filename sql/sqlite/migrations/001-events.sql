-- Events, in ingestion order (seq), and the dedupe window by (source, messageId).
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  message_id TEXT NOT NULL,
  type TEXT NOT NULL,
  user_key TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_message ON events (message_id);
CREATE INDEX events_user ON events (user_key, seq);


CREATE TABLE dedupe (
  source TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (source, message_id)
) WITHOUT ROWID;
CREATE INDEX dedupe_seen ON dedupe (seen_at);
