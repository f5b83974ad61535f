-- The erased users' links ($1: the graph's ids). A link from a userId outside the graph to one of
-- its ids is that other user's and stays.
DELETE FROM identity_links WHERE user_id = ANY($1::text[])
