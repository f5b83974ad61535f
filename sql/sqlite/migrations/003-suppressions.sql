-- Users whose events are refused at ingestion (GDPR/CCPA objection), with when and why.
CREATE TABLE suppressed_users (
  user_key TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  reason TEXT
) WITHOUT ROWID;
