-- The erased users' links ($1: ids of the graph), and the id each one named: an id linked after
-- the graph was read (an identify committed while the erasure waited for its locks) is erased
-- too. A link from a userId outside the graph to one of its ids is that other user's and stays.
DELETE FROM identity_links WHERE user_id = ANY($1::text[])
RETURNING other_id AS id
