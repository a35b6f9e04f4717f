-- no-transaction
-- 特例災害時貸付け (issue #12 item 4): the member loan a disaster special measure offers
-- (rules/special_measures/), one more loan kind (kyosai_domain::loan::LoanKind). SQLite cannot
-- alter a CHECK, so the table is
-- rebuilt as in 0024 (hence `no-transaction`).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE loans_0032 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    application_id BIGINT REFERENCES applications(id),
    kind TEXT NOT NULL CHECK (kind IN ('bankruptcy', 'temporary', 'member_general', 'member_emergency', 'member_illness_disaster', 'member_welfare', 'member_new_business', 'member_succession', 'member_closure_prep', 'member_disaster_special')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    disbursement_date TEXT NOT NULL,
    maturity_date TEXT NOT NULL,
    premium_reduction BIGINT NOT NULL CHECK (premium_reduction >= 0),
    bankruptcy_key TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, bankruptcy_key)
);
INSERT INTO loans_0032 (id, contract_id, application_id, kind, amount, disbursement_date, maturity_date, premium_reduction, bankruptcy_key, created_at)
    SELECT id, contract_id, application_id, kind, amount, disbursement_date, maturity_date, premium_reduction, bankruptcy_key, created_at FROM loans;
DROP TABLE loans;
ALTER TABLE loans_0032 RENAME TO loans;
CREATE INDEX loans_contract ON loans(contract_id);
COMMIT;
PRAGMA foreign_keys = ON;
