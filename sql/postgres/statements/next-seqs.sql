-- $1 sequence numbers for the events of one group commit, in order.
SELECT nextval('events_seq_seq') AS seq FROM generate_series(1, $1::integer) ORDER BY 1
