-- Payment frequency changes of 小規模 (払込区分兼指定納付月変更, REFERENCE §2.5; issue #10).
-- Effective-dated: from effective_month ('YYYY-MM') on, the contract pays at frequency
-- ('monthly', 'semi_annual', 'annual'); designated_month (1–12, NULL for monthly) is the
-- 指定納付月 its semi-annual or annual debits fall in. contracts.frequency stays the frequency
-- the contract started with; billing reads these rows on top of it.
CREATE TABLE frequency_changes (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    effective_month TEXT NOT NULL,
    frequency TEXT NOT NULL,
    designated_month BIGINT,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, effective_month)
);

-- 掛止め ends at resumed_from ('YYYY-MM', the first month debited again): billing treats a month as
-- suspended when suspended_from <= month < resumed_from, so a late run of a month before the
-- resumption still skips it. A new 掛止め clears it.
ALTER TABLE contracts ADD COLUMN resumed_from TEXT;
