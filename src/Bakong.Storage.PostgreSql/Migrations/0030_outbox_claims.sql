-- Several gateways on one database deliver the webhook outbox once: a replica claims the due entries it takes
-- (claimed_by, claimed_until, from 0001) and a mark ends the claim. The dispatcher's "when is something next due for
-- me" reads the earliest end of another replica's claim here: only entries being delivered (or whose replica died
-- while delivering them) are in this index, a handful however long the outbox is.
CREATE INDEX webhook_outbox_claimed ON webhook_outbox (claimed_until)
    WHERE claimed_until IS NOT NULL AND due_time IS NOT NULL;
