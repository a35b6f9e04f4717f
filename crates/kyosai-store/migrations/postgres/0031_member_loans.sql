-- 契約者貸付 (issue #12 item 4; REFERENCE §4): member loans of 小規模企業共済 are loans like the
-- 倒産防止 ones (schedule in loan_instalments, repaid through the billing cycle), one kind per
-- loan kind (kyosai_domain::loan::LoanKind).
ALTER TABLE loans DROP CONSTRAINT loans_kind_check;
ALTER TABLE loans ADD CONSTRAINT loans_kind_check CHECK (kind IN ('bankruptcy', 'temporary', 'member_general', 'member_emergency', 'member_illness_disaster', 'member_welfare', 'member_new_business', 'member_succession', 'member_closure_prep'));
