-- Adds the events after the mark up to @upTo to events_by_user (migration 009), sorted by user so
-- that each leaf page is written once per chunk. set-user-index-mark moves the mark in the same
-- transaction.
INSERT INTO events_by_user (user_key, seq)
SELECT user_key, seq FROM events
WHERE seq > (SELECT seq FROM events_by_user_mark WHERE only = 1) AND seq <= @upTo
ORDER BY user_key, seq
