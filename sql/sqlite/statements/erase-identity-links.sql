-- The erased users' links (@ids: a JSON array of ids). A link from a userId outside the graph to
-- one of its ids (another user of a shared device) is that other user's and stays.
DELETE FROM identity_links WHERE user_id IN (SELECT value FROM json_each(@ids))
