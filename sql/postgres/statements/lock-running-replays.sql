-- The running replays, locked before an erasure reads the identity graph: a step in progress
-- (get-replay.sql holds its row) commits its copies first, so the erasure's deletes see them; a
-- later step finds the originals gone. Taken before any delivery lock, as cancel-replay does.
SELECT id FROM replays WHERE state = 'running' ORDER BY id FOR UPDATE
