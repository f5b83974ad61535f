-- Events naming this user ($1) are refused at ingestion from now on ($2, reason $3; a second call keeps the first).
INSERT INTO suppressed_users (user_key, at, reason) VALUES ($1, $2, $3)
ON CONFLICT (user_key) DO NOTHING
