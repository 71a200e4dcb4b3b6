-- Receipt verification (IReceiptStore): the payments by their settling transaction's hash, in lower case as a
-- cashier may type either, and every verification made, in the order recorded (id).

CREATE INDEX payments_transaction_hash ON payments (lower(bakong_transaction ->> 'hash'))
    WHERE bakong_transaction IS NOT NULL;

CREATE TABLE receipt_verifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash        text COLLATE "C" NOT NULL,
    verify_time bigint NOT NULL,
    client_id   text NOT NULL,
    terminal_id text NOT NULL
);

CREATE INDEX receipt_verifications_hash ON receipt_verifications (hash, id);
