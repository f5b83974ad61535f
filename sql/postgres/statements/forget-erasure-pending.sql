-- The completed erasure's ($1) ids and messageIds are no longer needed.
DELETE FROM erasures_pending WHERE erasure_id = $1
