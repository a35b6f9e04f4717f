-- no-transaction
-- 契約者貸付 (issue #12 item 4; REFERENCE §4): member loans of 小規模企業共済 are loans like the
-- 倒産防止 ones (schedule in loan_instalments, repaid through the billing cycle), one kind per
-- loan kind (kyosai_domain::loan::LoanKind). SQLite cannot alter a CHECK, so the table is
-- rebuilt as in 0024 (hence `no-transaction`).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE loans_0031 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    application_id BIGINT REFERENCES applications(id),
    kind TEXT NOT NULL CHECK (kind IN ('bankruptcy', 'temporary', 'member_general', 'member_emergency', 'member_illness_disaster', 'member_welfare', 'member_new_business', 'member_succession', 'member_closure_prep')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    disbursement_date TEXT NOT NULL,
    maturity_date TEXT NOT NULL,
    premium_reduction BIGINT NOT NULL CHECK (premium_reduction >= 0),
    bankruptcy_key TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, bankruptcy_key)
);
INSERT INTO loans_0031 (id, contract_id, application_id, kind, amount, disbursement_date, maturity_date, premium_reduction, bankruptcy_key, created_at)
    SELECT id, contract_id, application_id, kind, amount, disbursement_date, maturity_date, premium_reduction, bankruptcy_key, created_at FROM loans;
DROP TABLE loans;
ALTER TABLE loans_0031 RENAME TO loans;
CREATE INDEX loans_contract ON loans(contract_id);
COMMIT;
PRAGMA foreign_keys = ON;
