-- How far events_by_user is behind: its mark and the last event stored.
SELECT (SELECT seq FROM events_by_user_mark WHERE only = 1) AS mark, COALESCE((SELECT MAX(seq) FROM events), 0) AS last
