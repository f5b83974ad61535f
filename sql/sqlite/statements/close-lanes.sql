-- The lanes of the deliveries @ids (a JSON array) whose user has no live delivery left there.
DELETE FROM delivery_lanes WHERE (destination, user_key) IN (
  SELECT d.destination, d.user_key FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(@ids))
) AND NOT EXISTS (
  SELECT 1 FROM deliveries x
  WHERE x.destination = delivery_lanes.destination AND x.user_key = delivery_lanes.user_key AND x.state IN ('pending', 'failed')
)
