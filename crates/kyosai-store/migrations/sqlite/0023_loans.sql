-- Loans (issue #12): 共済金貸付 and 一時貸付金 of 経営セーフティ共済 (REFERENCE §5.1, §5.2).
-- One row per loan decided, with its repayment schedule in loan_instalments; the balance is the
-- principal of the unpaid instalments, so it always equals the schedule less what was collected.
--
-- kind: see kyosai_domain::loan::LoanKind. premium_reduction: the 1/10 of a 共済金貸付 that
-- reduced the 掛金総額 (0 for a 一時貸付金). bankruptcy_key: the partner and 倒産日 of a
-- 共済金貸付, unique per contract so the same bankruptcy cannot be lent against twice.
CREATE TABLE loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    application_id BIGINT REFERENCES applications(id),
    kind TEXT NOT NULL CHECK (kind IN ('bankruptcy', 'temporary')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    disbursement_date TEXT NOT NULL,
    maturity_date TEXT NOT NULL,
    premium_reduction BIGINT NOT NULL CHECK (premium_reduction >= 0),
    bankruptcy_key TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, bankruptcy_key)
);
CREATE INDEX loans_contract ON loans(contract_id);

-- paid_on: the day the instalment was collected (NULL while owed).
CREATE TABLE loan_instalments (
    loan_id BIGINT NOT NULL REFERENCES loans(id),
    seq BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    principal BIGINT NOT NULL CHECK (principal >= 0),
    interest BIGINT NOT NULL CHECK (interest >= 0),
    paid_on TEXT,
    PRIMARY KEY (loan_id, seq)
);
