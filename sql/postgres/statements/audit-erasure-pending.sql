-- What the erasure $1 still has to remove from file archives ($2 ids, $3 messageIds, JSON); gone once it completes.
INSERT INTO erasures_pending (erasure_id, ids, message_ids) VALUES ($1, $2, $3)
