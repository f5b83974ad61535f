-- An operator resumes destination $1.
DELETE FROM destination_pauses WHERE destination = $1
