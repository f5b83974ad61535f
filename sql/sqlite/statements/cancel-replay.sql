-- An operator cancels a replay: no more copies (its waiting deliveries are aborted beside this).
UPDATE replays SET state = 'cancelled', updated_at = @now WHERE id = @id AND state IN ('running', 'created')
