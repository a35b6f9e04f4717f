-- 共済金貸付 online (issue #12 items 1 and 5; REFERENCE §5.1).
--
-- bankruptcy_loan_proposals: the amount a staff preparer proposes for a 共済金貸付 application
-- in review (at most the limit, in the rule set's unit). Approval lends exactly this amount and
-- must come from another staff user (maker-checker); a new proposal replaces the old one.
--
-- The ledger's kind CHECK gains `loan_reduction`: the 1/10 of a 共済金貸付 that reduces the
-- 掛金総額 (掛金の権利, REFERENCE §5.1, §5.3), posted as a negative amount so the member sees it
-- in the ledger and every "paid so far" figure nets it.
ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_kind_check;
ALTER TABLE billing_ledger ADD CONSTRAINT billing_ledger_kind_check
    CHECK (kind IN ('opening', 'billed', 'collected', 'failed', 'refunded', 'paid_out', 'loan_reduction'));

CREATE TABLE bankruptcy_loan_proposals (
    application_id BIGINT PRIMARY KEY REFERENCES applications(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    proposed_by BIGINT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    proposed_at TEXT NOT NULL
);
