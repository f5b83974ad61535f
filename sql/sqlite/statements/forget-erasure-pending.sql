-- The completed erasure's ids and messageIds are no longer needed.
DELETE FROM erasures_pending WHERE erasure_id = @id
