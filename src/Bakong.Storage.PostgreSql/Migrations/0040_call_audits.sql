-- Both audits (Bakong.OpenApi.Audit.CallAudit): every call to Bakong and every audited call to the gateway's API,
-- written in batches by each replica's audit writer and pruned by age and count. Times in UTC ticks (100 ns since
-- 0001-01-01), as the audits' page cursor carries them; the id orders records within one instant. Queries page newest
-- first by (time, id), optionally filtered by endpoint or client: hence the two pairs of indexes.

CREATE TABLE bakong_calls (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time             bigint NOT NULL,
    endpoint         text NOT NULL,
    subject          text,
    http_status      integer,
    response_code    integer,
    error_code       integer,
    response_message text,
    latency          bigint NOT NULL,
    attempt          integer NOT NULL,
    outcome          text NOT NULL
);

CREATE INDEX bakong_calls_time ON bakong_calls (time, id);
CREATE INDEX bakong_calls_endpoint ON bakong_calls (endpoint, time, id);

CREATE TABLE api_calls (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time    bigint NOT NULL,
    client  text NOT NULL,
    peer    text NOT NULL,
    action  text NOT NULL,
    target  text,
    outcome text NOT NULL,
    auth    text NOT NULL
);

CREATE INDEX api_calls_time ON api_calls (time, id);
CREATE INDEX api_calls_client ON api_calls (client, time, id);
