-- The API clients (IClientStore): the SHA-256 hash of each key's secret, never the key; a key is looked up by its
-- client id (the primary key) and its secret compared with the hash. Times in Unix milliseconds, as LiteDB keeps them.

CREATE TABLE api_clients (
    id          text COLLATE "C" PRIMARY KEY,
    hash        bytea NOT NULL UNIQUE,
    name        text NOT NULL,
    role        text NOT NULL,
    terminals   text[] NOT NULL,
    created_at  bigint NOT NULL,
    revoked_at  bigint,
    certificate text
);
