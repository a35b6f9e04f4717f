-- Debit account change by the member (口座振替口座の変更, issue #4).
-- effective_month: the first debit month ('YYYY-MM') a mandate is used for; NULL for the mandate
-- made with the contract (used from its first debit). Billing uses, for a month, the newest
-- mandate whose effective_month is not after it, so a change made on or after a month's cut-off
-- leaves that month's debit on the previous account.
-- application_id: the mandate_change application that registered it (NULL: enrollment).
ALTER TABLE mandates ADD COLUMN effective_month TEXT;
ALTER TABLE mandates ADD COLUMN application_id BIGINT REFERENCES applications(id);
-- At most one active mandate per contract: a change turns the previous one into 'replaced' in
-- the same transaction, so a double submit cannot leave two.
CREATE UNIQUE INDEX mandates_one_active ON mandates(contract_id) WHERE status = 'active';
