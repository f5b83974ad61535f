DELETE FROM suppressed_users WHERE user_key = $1
