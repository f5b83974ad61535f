-- The archives are rewritten: the audit row gets their count and the completion time.
UPDATE erasures SET archive_lines = @archiveLines, completed_at = @now WHERE id = @id
