-- Events by user, for erasure (G11) and the admin API's per-user queries, written in bulk behind
-- ingestion instead of per event. An index on events (user_key, seq) put each event into the leaf
-- page of its user, so a commit wrote back one page per distinct user in it: at 1,000 users and
-- commits of 2,000 events that alone doubled ingestion's CPU and WAL bytes. events_by_user gets
-- the events after its mark in chunks sorted by user (index-users.sql): a leaf page is written once
-- per chunk, not once per commit. Whatever reads it first brings it up to the last event in the
-- same transaction, so it is never behind for a reader.
CREATE TABLE events_by_user (
  user_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (user_key, seq)
) WITHOUT ROWID;

-- The last seq whose event is in events_by_user (one row).
CREATE TABLE events_by_user_mark (
  only INTEGER PRIMARY KEY CHECK (only = 1),
  seq INTEGER NOT NULL
);

INSERT INTO events_by_user (user_key, seq) SELECT user_key, seq FROM events;
INSERT INTO events_by_user_mark (only, seq) VALUES (1, COALESCE((SELECT MAX(seq) FROM events), 0));
DROP INDEX events_user;

-- An event deleted (erasure, retention) leaves no entry behind: a user_key is a trace of the user.
CREATE TRIGGER events_by_user_on_delete AFTER DELETE ON events
BEGIN
  DELETE FROM events_by_user WHERE user_key = OLD.user_key AND seq = OLD.seq;
END;
