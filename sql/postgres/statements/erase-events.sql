-- Every event ordered under one of the graph's ids ($1). An event of a userId outside the graph
-- that carries one of its anonymousIds (another user of a shared device) is that user's and stays.
DELETE FROM events WHERE user_key = ANY($1::text[])
