-- An operator cancels replay $1 at $2: no more copies (its waiting deliveries are aborted beside this).
UPDATE replays SET state = 'cancelled', updated_at = $2 WHERE id = $1 AND state IN ('running', 'created')
