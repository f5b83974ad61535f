-- A replay step copied @created events up to seq @cursor; past last_seq every copy is made.
UPDATE replays SET cursor_seq = @cursor, created = created + @created, updated_at = @now,
  state = CASE WHEN @cursor >= last_seq THEN 'created' ELSE state END
WHERE id = @id AND state = 'running'
