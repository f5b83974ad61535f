-- The users of one destination whose oldest live delivery is due and unleased, earliest due
-- first: the lanes the claim takes deliveries from (delivery_lanes, migration 005).
SELECT user_key AS userKey FROM delivery_lanes
WHERE destination = @destination AND ready_at <= @now
ORDER BY ready_at
LIMIT @limit
