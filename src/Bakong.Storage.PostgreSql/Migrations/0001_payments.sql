-- The payment store: one row per payment (its history in "events", written with the row), the webhook outbox as
-- rows of its own (written in the same transaction as the transition that caused them, delivered and claimed one by
-- one). Times are UTC ticks (100 ns since 0001-01-01), as in the LiteDB store: exact for .NET's DateTimeOffset,
-- where timestamptz would round to microseconds. Identifiers sort and compare by code unit (COLLATE "C"), so
-- "A1" and "a1" are different request ids and the list order is the same as the LiteDB store's.

CREATE TABLE payments (
    id                   text COLLATE "C" PRIMARY KEY,
    request_id           text COLLATE "C" NOT NULL,
    params_hash          text NOT NULL,
    terminal_id          text COLLATE "C" NOT NULL,
    currency             text NOT NULL,
    amount_minor         bigint NOT NULL,
    order_ref            text,
    expires_in           bigint NOT NULL,
    store_label          text,
    terminal_label       text,
    bill_number          text NOT NULL,
    receiving_account    text NOT NULL,
    qr                   text NOT NULL,
    md5                  text COLLATE "C" NOT NULL,
    create_time          bigint NOT NULL,
    expire_time          bigint NOT NULL,
    state                text COLLATE "C" NOT NULL,
    version              bigint NOT NULL,
    update_time          bigint NOT NULL,
    settle_time          bigint,
    next_check           bigint,
    check_count          integer NOT NULL,
    last_check_time      bigint,
    reconciliation_count integer NOT NULL,
    failure_reason       text,
    bakong_transaction   jsonb,
    review               jsonb,
    events               jsonb NOT NULL,
    -- Reserved for several gateways on one database (a later migration uses them): which replica holds the
    -- payment's next check and until when (FOR UPDATE SKIP LOCKED). Null: nobody.
    lease_owner          text,
    lease_until          bigint,
    CONSTRAINT payments_request_id UNIQUE (request_id),
    CONSTRAINT payments_md5 UNIQUE (md5)
);

-- ListPayments: each filter is one index range read backwards (newest first), so the first page reads a page's rows
-- whatever the filter and however many payments there are; the keyset (create_time, id) is the page token.
CREATE INDEX payments_list ON payments (create_time, id);
CREATE INDEX payments_list_terminal ON payments (terminal_id, create_time, id);
CREATE INDEX payments_list_state ON payments (state, create_time, id);
CREATE INDEX payments_list_terminal_state ON payments (terminal_id, state, create_time, id);

-- The poller's due payments: only scheduled ones that are pending or awaiting reconciliation are in it.
CREATE INDEX payments_due ON payments (next_check, terminal_id)
    WHERE next_check IS NOT NULL AND state IN ('Pending', 'Expired', 'Cancelled');

CREATE TABLE webhook_outbox (
    event_id          text COLLATE "C" PRIMARY KEY,
    payment_id        text COLLATE "C" NOT NULL REFERENCES payments (id),
    position          integer NOT NULL,
    type              text NOT NULL,
    version           bigint NOT NULL,
    state             text COLLATE "C" NOT NULL,
    create_time       bigint NOT NULL,
    attempts          integer NOT NULL,
    next_attempt_time bigint,
    delivered_time    bigint,
    last_error        text,
    -- When it is due: its next attempt, or its creation for a first attempt; null once delivered (OutboxEntry.DueTime).
    due_time          bigint GENERATED ALWAYS AS
        (CASE WHEN delivered_time IS NULL THEN COALESCE(next_attempt_time, create_time) END) STORED,
    -- Reserved for several gateways on one database (a later migration uses them): which replica is delivering it.
    claimed_by        text,
    claimed_until     bigint
);

CREATE INDEX webhook_outbox_payment ON webhook_outbox (payment_id, position);
CREATE INDEX webhook_outbox_due ON webhook_outbox (due_time) WHERE due_time IS NOT NULL;
