-- What dropping day $1 removes: its events (succeeded deliveries and attempts go with them).
SELECT COUNT(*)::integer AS events FROM events WHERE day = $1
