-- The archives are rewritten: the audit row $1 gets their count $2 and the completion time $3.
UPDATE erasures SET archive_lines = $2, completed_at = $3 WHERE id = $1
