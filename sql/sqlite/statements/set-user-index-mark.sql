UPDATE events_by_user_mark SET seq = @upTo WHERE only = 1
