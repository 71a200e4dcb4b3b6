-- The pending cap (Limits:MaxPendingPerTerminal) counts a terminal's pending payments on every create: kept here, by
-- triggers on payments, in the same transaction as the row change, so a create reads a few rows instead of the
-- terminal's pending payments (PostgresPaymentStore.CountPendingAsync).
--
-- Striped: each terminal's count is the sum of up to 32 rows (slots), and a payment counts in the slot its id picks.
-- One row per terminal would be locked by every create and transition of that terminal until its commit (an fsync),
-- so a terminal's concurrent creates, from one gateway or several, would commit one after the other. With 32 slots
-- two of them wait for each other only when their ids pick the same slot. Why 32: a till creates one payment at a
-- time, so only a terminal id shared by several POS instances (or a load test) has many creates in flight; with k of
-- them at once, each shares its slot (and waits for the commits ahead of it there) with about (k - 1)/32 of them
-- instead of all k - 1 (at concurrency 64, about 2 instead of 63), and the read stays short: at most 32 rows of one
-- terminal, next to each other in the primary key. More slots would cost every create a longer read for waits that
-- are already a commit or two. A power of two: the slot is a bit mask.
--
-- The slot depends on the id alone (an md5 byte: documented and the same on every PostgreSQL version, unlike
-- hashtext), so a payment's +1 and its -1 hit the same row and no slot goes below 0.
--
-- No deadlocks between slots: each statement of the store that changes a payment's state changes one payment (an
-- insert, a save), one per transaction, so a transaction holds at most one slot row's lock. The poller's leases and
-- the outbox marks do not set state, so they never run the trigger. Keep it so: a statement that changed the state of
-- several payments in one transaction would take several slot locks, in an order two of them could cross.
--
-- Rows are never deleted (a terminal keeps at most 32, most at 0); fillfactor 50 leaves room on their page for the
-- next versions, so the constant updates stay HOT (no index update) and are pruned in place.

CREATE TABLE terminal_pending (
    terminal_id text COLLATE "C" NOT NULL,
    slot        smallint NOT NULL,
    pending     integer NOT NULL,
    PRIMARY KEY (terminal_id, slot)
) WITH (fillfactor = 50);

CREATE FUNCTION terminal_pending_slot(payment_id text) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (get_byte(decode(md5(payment_id), 'hex'), 0) & 31)::smallint $$;

-- +1 where a row enters 'Pending' (PaymentState.Pending as the store writes it), -1 where it leaves. The WHEN clauses
-- of the triggers below call this only then; a change of terminal (the store never makes one) is a leave and an enter.
CREATE FUNCTION terminal_pending_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'Pending' THEN
        INSERT INTO terminal_pending AS t (terminal_id, slot, pending)
        VALUES (OLD.terminal_id, terminal_pending_slot(OLD.id), -1)
        ON CONFLICT (terminal_id, slot) DO UPDATE SET pending = t.pending + EXCLUDED.pending;
    END IF;

    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'Pending' THEN
        INSERT INTO terminal_pending AS t (terminal_id, slot, pending)
        VALUES (NEW.terminal_id, terminal_pending_slot(NEW.id), 1)
        ON CONFLICT (terminal_id, slot) DO UPDATE SET pending = t.pending + EXCLUDED.pending;
    END IF;

    RETURN NULL;
END
$$;

-- No write to payments runs between the triggers' creation and the seed, nor waits half done: the lock waits for the
-- writes under way (old gateways still running) and holds new ones until this migration commits, so the seed counts
-- every row the triggers will not.
LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER payments_pending_insert AFTER INSERT ON payments
    FOR EACH ROW WHEN (NEW.state = 'Pending') EXECUTE FUNCTION terminal_pending_count();

-- Only a save that changes the state (or the terminal) runs the function: check bookkeeping, leases and reviews do not.
CREATE TRIGGER payments_pending_update AFTER UPDATE OF state, terminal_id ON payments
    FOR EACH ROW WHEN ((OLD.state = 'Pending' OR NEW.state = 'Pending')
                       AND (OLD.state IS DISTINCT FROM NEW.state OR OLD.terminal_id IS DISTINCT FROM NEW.terminal_id))
    EXECUTE FUNCTION terminal_pending_count();

-- The store never deletes a payment; an operator's DELETE keeps the count right too.
CREATE TRIGGER payments_pending_delete AFTER DELETE ON payments
    FOR EACH ROW WHEN (OLD.state = 'Pending') EXECUTE FUNCTION terminal_pending_count();

-- A database from before this migration: its pending payments, counted once.
INSERT INTO terminal_pending (terminal_id, slot, pending)
SELECT terminal_id, terminal_pending_slot(id), count(*)
FROM payments
WHERE state = 'Pending'
GROUP BY 1, 2;
