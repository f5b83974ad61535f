-- The sources that have lanes at one destination, for the claim to share itself between them.
-- A skip over the lanes' index: one probe per source, however many lanes each has.
WITH RECURSIVE s(source) AS (
  SELECT (SELECT MIN(source) FROM delivery_lanes WHERE destination = @destination)
  UNION ALL
  SELECT (SELECT MIN(source) FROM delivery_lanes WHERE destination = @destination AND source > s.source) FROM s WHERE s.source IS NOT NULL
)
SELECT source FROM s WHERE source IS NOT NULL
