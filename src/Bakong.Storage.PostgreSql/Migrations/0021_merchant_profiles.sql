-- Merchant profiles: the profile whose account and KHQR tags a payment's QR carries ('default' for payments stored
-- before profiles, as the LiteDB store reads them), and two request fields that are part of the payment's parameters
-- (a retry with the same request id is compared on them): the purpose of transaction and the POS's own bill number.
ALTER TABLE payments ADD COLUMN merchant_profile_id text NOT NULL DEFAULT 'default';
ALTER TABLE payments ADD COLUMN purpose text;
ALTER TABLE payments ADD COLUMN pos_bill_number text;
