-- What the erasure @erasureId still has to remove from file archives; gone once it completes.
INSERT INTO erasures_pending (erasure_id, ids, message_ids) VALUES (@erasureId, @ids, @messageIds)
