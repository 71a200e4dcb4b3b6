-- The Bakong token of each environment (ITokenStore): only its AES-256-GCM ciphertext under the gateway's key file
-- (TokenCipher, the environment as associated data), never the token. next_token is the ciphertext under the key a
-- rotation is moving to, read only while the key file no longer opens token (see PostgresTokenStore.RotateKey).

CREATE TABLE bakong_tokens (
    environment text COLLATE "C" PRIMARY KEY,
    token       bytea,
    next_token  bytea,
    expires_at  timestamptz,
    email       text,
    set_at      timestamptz,
    renewed     boolean NOT NULL DEFAULT false
);
