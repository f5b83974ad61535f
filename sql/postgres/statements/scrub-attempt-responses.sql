-- Answers kept in other deliveries' attempt logs that quote an erased id or messageId ($1), as a
-- destination echoing a batch shared by several users does: the whole excerpt goes, since what
-- else of the erased user it quotes cannot be told; status and outcome stay.
UPDATE delivery_log SET response = '[erased]' WHERE response IS NOT NULL AND EXISTS (
  SELECT 1 FROM unnest($1::text[]) AS n(needle) WHERE strpos(delivery_log.response, n.needle) > 0
)
