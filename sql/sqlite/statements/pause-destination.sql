-- An operator pauses a destination: its loop claims nothing until resumed; kept across restarts.
INSERT INTO destination_pauses (destination, reason, at) VALUES (@destination, @reason, @at)
ON CONFLICT (destination) DO UPDATE SET reason = excluded.reason, at = excluded.at
