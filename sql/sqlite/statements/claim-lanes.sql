-- The users of one destination whose oldest live delivery came from @source and is due and
-- unleased, earliest due first: the lanes the claim takes that source's share from
-- (delivery_lanes, migrations 005 and 007).
SELECT user_key AS userKey FROM delivery_lanes
WHERE destination = @destination AND source = @source AND ready_at <= @now
ORDER BY ready_at
LIMIT @limit
