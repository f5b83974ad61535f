-- One retention step at a time across every process (held until the transaction ends).
SELECT pg_advisory_xact_lock(4242002)
