-- Retention, before day $1 is dropped: its deliveries that are not succeeded (live, or aborted and
-- kept until an operator handles them) move to day $2 (a cross-partition UPDATE moves the row).
-- Normally a handful: what still waits after the retention period. Returns what moved.
UPDATE deliveries SET day = $2 WHERE day = $1 AND state <> 'succeeded'
RETURNING id, event_seq AS "eventSeq"
