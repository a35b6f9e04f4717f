-- no-transaction
-- 共済金貸付 online (issue #12 items 1 and 5; REFERENCE §5.1).
--
-- bankruptcy_loan_proposals: the amount a staff preparer proposes for a 共済金貸付 application
-- in review (at most the limit, in the rule set's unit). Approval lends exactly this amount and
-- must come from another staff user (maker-checker); a new proposal replaces the old one.
--
-- The ledger's kind CHECK gains `loan_reduction`: the 1/10 of a 共済金貸付 that reduces the
-- 掛金総額 (掛金の権利, REFERENCE §5.1, §5.3), posted as a negative amount so the member sees it
-- in the ledger and every "paid so far" figure nets it. SQLite cannot alter a CHECK, so the
-- table is rebuilt as in 0021 (hence `no-transaction`).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE billing_ledger_0024 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    bill_line_id BIGINT REFERENCES bill_lines(id),
    month TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'billed', 'collected', 'failed', 'refunded', 'paid_out', 'loan_reduction')),
    amount BIGINT NOT NULL,
    months BIGINT NOT NULL,
    result_code BIGINT,
    reason TEXT,
    import_id BIGINT REFERENCES result_imports(id),
    at TEXT NOT NULL
);
INSERT INTO billing_ledger_0024 (id, contract_id, bill_line_id, month, kind, amount, months, result_code, reason, import_id, at)
    SELECT id, contract_id, bill_line_id, month, kind, amount, months, result_code, reason, import_id, at FROM billing_ledger;
DROP TABLE billing_ledger;
ALTER TABLE billing_ledger_0024 RENAME TO billing_ledger;
CREATE INDEX billing_ledger_contract ON billing_ledger(contract_id, id);
CREATE UNIQUE INDEX billing_ledger_billed_once ON billing_ledger(bill_line_id) WHERE kind = 'billed';
CREATE UNIQUE INDEX billing_ledger_result_once ON billing_ledger(bill_line_id) WHERE kind IN ('collected', 'failed');
CREATE INDEX billing_ledger_failed ON billing_ledger(contract_id) WHERE kind = 'failed';
CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE ON billing_ledger
BEGIN
    SELECT RAISE(ABORT, 'billing_ledger is append-only');
END;
CREATE TRIGGER billing_ledger_no_delete BEFORE DELETE ON billing_ledger
BEGIN
    SELECT RAISE(ABORT, 'billing_ledger is append-only');
END;

CREATE TABLE bankruptcy_loan_proposals (
    application_id BIGINT PRIMARY KEY REFERENCES applications(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    proposed_by BIGINT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    proposed_at TEXT NOT NULL
);
COMMIT;
PRAGMA foreign_keys = ON;
