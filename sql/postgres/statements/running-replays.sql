-- Replays still creating copies (resumed at start).
SELECT id FROM replays WHERE state = 'running' ORDER BY id
