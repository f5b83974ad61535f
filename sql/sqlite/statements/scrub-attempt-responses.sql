-- The answers that other users' deliveries got in the same requests as the graph's events
-- (@ids: a JSON array of ids): one request's answer is logged once per delivery it carried, with
-- the same time and text, and a destination echoing a shared batch quotes every user in it. The
-- excerpt goes (what of the erased user it quotes cannot be told); status and outcome stay.
-- Must run before erase-attempts, which deletes the rows that name those requests.
UPDATE delivery_log SET response = '[erased]' WHERE response IS NOT NULL AND (at, response) IN (
  SELECT l.at, l.response FROM delivery_log l WHERE l.response IS NOT NULL AND l.delivery_id IN (
    SELECT d.id FROM deliveries d WHERE d.event_seq IN (
      SELECT seq FROM events_by_user WHERE user_key IN (SELECT value FROM json_each(@ids))
    )
  )
)
