-- 小規模企業共済 benefit claims (issue #11): the decision of a claim, the staff sign-off that a
-- claim above the automatic threshold needs before a second staff member approves it
-- (maker-checker), and the tax data kept with each payout for the year-end 源泉徴収票.
--
-- benefit_kind: A, B, quasi, refund. event: see kyosai_domain::small_enterprise::claim::ClaimEvent.
-- deductions: JSON [{kind, yen}]; claimant: JSON (death claims: the bereaved), NULL otherwise.
-- One claim per contract: a decided claim ends the contract.
CREATE TABLE claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id),
    contract_id BIGINT NOT NULL UNIQUE REFERENCES contracts(id),
    event TEXT NOT NULL,
    event_date TEXT NOT NULL,
    benefit_kind TEXT NOT NULL CHECK (benefit_kind IN ('A', 'B', 'quasi', 'refund')),
    months_paid BIGINT NOT NULL,
    total_paid BIGINT NOT NULL,
    base_yen BIGINT NOT NULL,
    bonus_yen BIGINT NOT NULL,
    gross_yen BIGINT NOT NULL,
    deductions TEXT NOT NULL,
    net_yen BIGINT NOT NULL CHECK (net_yen >= 0),
    estimate BIGINT NOT NULL CHECK (estimate IN (0, 1)),
    payout_form TEXT NOT NULL CHECK (payout_form IN ('lump_sum', 'instalments', 'combined')),
    instalment_years BIGINT,
    claimant TEXT,
    rule_set TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

-- The first staff approval of a claim above the threshold; the approver who completes it must
-- be someone else.
CREATE TABLE claim_signoffs (
    application_id BIGINT PRIMARY KEY REFERENCES applications(id),
    staff_id BIGINT NOT NULL REFERENCES users(id),
    signed_at TEXT NOT NULL
);

-- income_class: retirement, public_pension, occasional, deemed_inheritance (REFERENCE §3.6).
-- gross_yen is the payment before withholding; the payout row holds what is transferred.
CREATE TABLE payout_tax (
    payout_id BIGINT PRIMARY KEY REFERENCES payouts(id),
    claim_id BIGINT NOT NULL REFERENCES claims(id),
    income_class TEXT NOT NULL CHECK (income_class IN ('retirement', 'public_pension', 'occasional', 'deemed_inheritance')),
    contract_years BIGINT NOT NULL,
    retirement_deduction BIGINT,
    gross_yen BIGINT NOT NULL,
    withholding_rate TEXT NOT NULL,
    withholding_yen BIGINT NOT NULL,
    provisional BIGINT NOT NULL CHECK (provisional IN (0, 1))
);
CREATE INDEX payout_tax_claim ON payout_tax(claim_id);
