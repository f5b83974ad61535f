-- An operator resumes a destination.
DELETE FROM destination_pauses WHERE destination = @destination
