-- API tokens. The secret is shown once when the token is created and only its SHA-256
-- digest is stored, so a leaked database does not leak usable tokens. The name is what
-- feature_history records as the actor of an edit made with the token.
CREATE TABLE api_tokens (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL,
    role           text NOT NULL,
    secret_sha256  bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    CONSTRAINT api_tokens_name_format CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    CONSTRAINT api_tokens_role_known CHECK (role IN ('viewer', 'editor', 'admin')),
    CONSTRAINT api_tokens_secret_is_sha256 CHECK (octet_length(secret_sha256) = 32),
    CONSTRAINT api_tokens_secret_unique UNIQUE (secret_sha256)
);
-- One live token per name, so that history's actor names one token; a revoked name may be reused.
CREATE UNIQUE INDEX api_tokens_live_name_unique ON api_tokens (name) WHERE revoked_at IS NULL;
