-- Payouts (issue #11): every amount Kyosai has decided to pay is one row, paid by a Zengin
-- 総合振込 file on its date. The payee account is copied onto the row when the payout is
-- scheduled, so a payout run is deterministic and a returned transfer (振込不能) can be given a
-- new account without touching the decision that made it.
--
-- kind: see kyosai_domain::payout::PayoutKind. status: scheduled, paid, held.
-- source + seq: the decision that made it ('cancellation_refund:7', 'claim:3', 'loan:5') and the
-- payout's number within it (instalments); unique, so scheduling the same decision twice fails.
CREATE TABLE payouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    application_id BIGINT REFERENCES applications(id),
    kind TEXT NOT NULL CHECK (kind IN ('benefit', 'benefit_instalment', 'cancellation_refund', 'prepayment_discount', 'loan_disbursement')),
    due_date TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    source TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'paid', 'held')),
    created_at TEXT NOT NULL,
    UNIQUE (source, seq)
);
CREATE INDEX payouts_contract ON payouts(contract_id, due_date);
CREATE INDEX payouts_due ON payouts(status, due_date);
