-- A replay step ($1) copied $3 events up to seq $2 at $4; past last_seq every copy is made.
UPDATE replays SET cursor_seq = $2, created = created + $3, updated_at = $4,
  state = CASE WHEN $2 >= last_seq THEN 'created' ELSE state END
WHERE id = $1 AND state = 'running'
