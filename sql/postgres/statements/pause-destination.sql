-- An operator pauses destination $1 ($2 reason, $3 at): its loop claims nothing until resumed; kept across restarts.
INSERT INTO destination_pauses (destination, reason, at) VALUES ($1, $2, $3)
ON CONFLICT (destination) DO UPDATE SET reason = excluded.reason, at = excluded.at
