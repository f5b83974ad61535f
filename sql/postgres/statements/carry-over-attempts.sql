-- The attempt logs of the carried-over deliveries ($3 their ids) move from day $1 to day $2.
UPDATE delivery_log SET day = $2 WHERE day = $1 AND delivery_id = ANY($3::bigint[])
