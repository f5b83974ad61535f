SELECT source, event, count, rejected, last_at AS lastAt, last_message AS lastMessage FROM plan_violations
WHERE (@source IS NULL OR source = @source) AND (@event IS NULL OR event = @event)
ORDER BY source, event
