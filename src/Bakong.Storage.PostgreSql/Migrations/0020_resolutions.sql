-- The exception queue: how an operator resolved a payment that needed a person (accepted, or refunded with the refund
-- transfer checked with Bakong), as JSON with the same field names as the LiteDB store; null until resolved.
ALTER TABLE payments ADD COLUMN resolution jsonb;

-- ListExceptions: the payments that need a person (flagged for review, or paid late, and not resolved), oldest first;
-- only they are in the index, so a page reads a page's rows however many payments there are (Payment.NeedsPerson).
CREATE INDEX payments_exceptions ON payments (create_time, id)
    WHERE resolution IS NULL AND (review IS NOT NULL OR state = 'PaidLate');
