-- Erasures whose archives are not rewritten yet (a crash or a failed write), oldest first.
SELECT erasure_id AS id, ids, message_ids AS "messageIds" FROM erasures_pending ORDER BY erasure_id
