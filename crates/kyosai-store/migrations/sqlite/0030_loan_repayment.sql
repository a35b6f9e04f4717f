-- Loan repayment through the billing cycle (issue #12 items 2 and 3; REFERENCE §5.1, §5.2).
--
-- loan_bill_lines: one direct debit of a loan in a billing run, beside the premiums' bill_lines
-- (same run, originator, debit date and mandate) but in its own request file, with its own
-- customer number (10^19 + id: a leading 1 tells a bank's answer for a loan from a premium's).
-- seqs: the instalments this debit repays ('3,4'); principal/interest/late_charge add up to the
-- amount. early = 1: the loan's full early repayment.
CREATE TABLE loan_bill_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES billing_runs(id),
    loan_id BIGINT NOT NULL REFERENCES loans(id),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    month TEXT NOT NULL,
    originator_id BIGINT NOT NULL REFERENCES billing_originators(id),
    seqs TEXT NOT NULL,
    principal BIGINT NOT NULL CHECK (principal >= 0),
    interest BIGINT NOT NULL CHECK (interest >= 0),
    late_charge BIGINT NOT NULL CHECK (late_charge >= 0),
    amount BIGINT NOT NULL CHECK (amount > 0 AND amount = principal + interest + late_charge),
    early BIGINT NOT NULL CHECK (early IN (0, 1)),
    new_code BIGINT NOT NULL,
    mandate_id BIGINT NOT NULL REFERENCES mandates(id),
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    UNIQUE (run_id, loan_id)
);
CREATE INDEX loan_bill_lines_run ON loan_bill_lines(run_id, originator_id, id);
CREATE INDEX loan_bill_lines_loan ON loan_bill_lines(loan_id, id);

-- Every repayment event of a loan, append-only: a debit's result (collected / failed, with the
-- import that brought it) or a recovery from the premiums paid (recovered: an unpaid 一時貸付金
-- more than the rule set's months after maturity, REFERENCE §5.2; the same yen are posted to
-- the premium ledger as a loan_reduction) or a set-off against the benefit or refund that ended
-- the contract (set_off). The loan's instalments are marked paid in the same transaction, so
-- balance = amount − the principal of these rows.
CREATE TABLE loan_payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id BIGINT NOT NULL REFERENCES loans(id),
    line_id BIGINT REFERENCES loan_bill_lines(id),
    kind TEXT NOT NULL CHECK (kind IN ('collected', 'failed', 'recovered', 'set_off')),
    principal BIGINT NOT NULL CHECK (principal >= 0),
    interest BIGINT NOT NULL CHECK (interest >= 0),
    late_charge BIGINT NOT NULL CHECK (late_charge >= 0),
    result_code BIGINT,
    import_id BIGINT REFERENCES result_imports(id),
    on_date TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX loan_payments_result_once ON loan_payments(line_id) WHERE line_id IS NOT NULL;
CREATE INDEX loan_payments_loan ON loan_payments(loan_id, id);
CREATE TRIGGER loan_payments_no_update BEFORE UPDATE ON loan_payments
BEGIN
    SELECT RAISE(ABORT, 'loan_payments is append-only');
END;
CREATE TRIGGER loan_payments_no_delete BEFORE DELETE ON loan_payments
BEGIN
    SELECT RAISE(ABORT, 'loan_payments is append-only');
END;

-- A requested early repayment: the run of `month` debits everything still owed on the loan.
CREATE TABLE loan_early_repayments (
    loan_id BIGINT PRIMARY KEY REFERENCES loans(id),
    month TEXT NOT NULL,
    application_id BIGINT REFERENCES applications(id),
    requested_at TEXT NOT NULL
);

-- Loan lines are numbered from their own counter in the run's transaction, as bill lines are
-- (migration 0020), so a resumed run writes the same customer numbers.
INSERT INTO counters (name, value) VALUES ('loan_bill_line_id', 0);

-- What a request file carries: the premiums' bill lines or the loans' (first/last_line_id then
-- point into loan_bill_lines).
ALTER TABLE billing_files ADD COLUMN content TEXT NOT NULL DEFAULT 'premiums' CHECK (content IN ('premiums', 'loans'));
