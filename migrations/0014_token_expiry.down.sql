ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_expires_after_creation;
ALTER TABLE api_tokens DROP COLUMN IF EXISTS expires_at;
