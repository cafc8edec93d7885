-- Tokens may carry an expiry (`cityreach token create --expires 90d`). NULL never expires.
-- Lookup refuses a token at and after expires_at, exactly as it refuses a revoked one; the
-- row stays so that history's actor names stay explained.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_expires_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);
