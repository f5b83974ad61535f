-- A claim still at work extends its lease ($1 token, $2 new end). Only rows that still carry its
-- token and whose router partition this process ($3) still owns are extended: a process that lost
-- a partition stops sending its users' events. Their ids are returned.
UPDATE deliveries d SET lease_until = $2
FROM router_partitions p
WHERE d.lease_token = $1 AND d.state IN ('pending', 'failed')
  AND p.part = d.upart AND p.owner = $3 AND p.until > ferry_now_ms()
RETURNING d.id AS id
