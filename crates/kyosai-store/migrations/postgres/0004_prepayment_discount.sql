-- 機構解約 confirmation and 前納減額金 (issue #4). Money is BIGINT yen, months 'YYYY-MM',
-- dates 'YYYY-MM-DD', timestamps ISO-8601 UTC TEXT; flags are BIGINT 0/1 (portable through Any).

-- How and when a contract ended (NULL while active). cancellation_kind: 'by_organization'
-- (機構解約/機構解除); other kinds come with their own use cases.
ALTER TABLE contracts ADD COLUMN cancelled_on TEXT;
ALTER TABLE contracts ADD COLUMN cancellation_kind TEXT;

-- A withdrawn candidate keeps who withdrew it; preparing the contract again reopens the row
-- (UNIQUE (contract_id)), the audit log keeps the history.
ALTER TABLE termination_candidates ADD COLUMN withdrawn_by BIGINT REFERENCES users(id);
ALTER TABLE termination_candidates ADD COLUMN withdrawn_at TEXT;

-- The refund of a cancelled contract, with what it was computed from. The money leaving is also
-- a 'refunded' entry in billing_ledger (amount = refund_yen). detail: JSON (rate or tranches).
CREATE TABLE cancellation_refunds (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL UNIQUE REFERENCES contracts(id),
    candidate_id BIGINT REFERENCES termination_candidates(id),
    kind TEXT NOT NULL,
    cancelled_on TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    months_paid BIGINT NOT NULL,
    total_paid BIGINT NOT NULL,
    loans_deducted BIGINT NOT NULL,
    refund_yen BIGINT NOT NULL,
    prepayment_discount_yen BIGINT NOT NULL,
    total_yen BIGINT NOT NULL,
    estimate BIGINT NOT NULL CHECK (estimate IN (0, 1)),
    detail TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('payable', 'paid')),
    created_at TEXT NOT NULL
);

-- 前納: one payment of future months (the money itself is a 'collected' ledger entry without a
-- bill line, ledger_id). The discount is earned per covered month by how far ahead it was paid.
CREATE TABLE prepayments (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    paid_month TEXT NOT NULL,
    first_month TEXT NOT NULL,
    last_month TEXT NOT NULL,
    monthly_premium BIGINT NOT NULL CHECK (monthly_premium > 0),
    amount BIGINT NOT NULL CHECK (amount > 0),
    ledger_id BIGINT NOT NULL REFERENCES billing_ledger(id),
    created_at TEXT NOT NULL
);
CREATE INDEX prepayments_contract ON prepayments(contract_id, paid_month);

-- 前納減額金 per contract and fiscal year (April–March), computed on the March-end position.
-- status: payable (≥ threshold, paid in June), carried_forward (< threshold, absorbed by the next
-- year's row as carried_in), paid (June transfer), paid_with_refund (on cancellation).
CREATE TABLE prepayment_discounts (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    fiscal_year BIGINT NOT NULL,
    rule_set TEXT NOT NULL,
    earned_yen BIGINT NOT NULL,
    carried_in_yen BIGINT NOT NULL,
    accumulated_yen BIGINT NOT NULL,
    estimate BIGINT NOT NULL CHECK (estimate IN (0, 1)),
    status TEXT NOT NULL CHECK (status IN ('payable', 'carried_forward', 'paid', 'paid_with_refund')),
    paid_on TEXT,
    payout_file TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, fiscal_year)
);
CREATE INDEX prepayment_discounts_year ON prepayment_discounts(fiscal_year, status);
