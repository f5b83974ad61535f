-- Every id of the person asked for ($1): up through the links to every userId the id was merged
-- into, then down from those to every anonymousId and previousId linked to them. UNION stops on cycles.
WITH RECURSIVE
  up(id) AS (
    SELECT $1::text
    UNION
    SELECT l.user_id FROM identity_links l JOIN up ON l.other_id = up.id
  ),
  graph(id) AS (
    SELECT id FROM up
    UNION
    SELECT l.other_id FROM identity_links l JOIN graph ON l.user_id = graph.id
  )
SELECT id FROM graph
