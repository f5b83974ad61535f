-- Answers kept in other deliveries' attempt logs that quote an erased id or messageId (@needles:
-- a JSON array), as a destination echoing a batch shared by several users does: the whole
-- excerpt goes, since what else of the erased user it quotes cannot be told; status and outcome stay.
UPDATE delivery_log SET response = '[erased]' WHERE response IS NOT NULL AND EXISTS (
  SELECT 1 FROM json_each(@needles) WHERE instr(delivery_log.response, value) > 0
)
