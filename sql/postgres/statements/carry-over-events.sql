-- The events of the carried-over deliveries ($3 their seqs) move from day $1 to day $2 with them.
UPDATE events SET day = $2 WHERE day = $1 AND seq = ANY($3::bigint[])
