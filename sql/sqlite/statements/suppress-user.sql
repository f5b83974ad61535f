-- Events naming this user are refused at ingestion from now on (a second call keeps the first).
INSERT INTO suppressed_users (user_key, at, reason) VALUES (@userKey, @now, @reason)
ON CONFLICT (user_key) DO NOTHING
