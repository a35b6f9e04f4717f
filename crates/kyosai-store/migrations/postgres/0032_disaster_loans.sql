-- 特例災害時貸付け (issue #12 item 4): the member loan a disaster special measure offers
-- (rules/special_measures/), one more loan kind (kyosai_domain::loan::LoanKind).
ALTER TABLE loans DROP CONSTRAINT loans_kind_check;
ALTER TABLE loans ADD CONSTRAINT loans_kind_check CHECK (kind IN ('bankruptcy', 'temporary', 'member_general', 'member_emergency', 'member_illness_disaster', 'member_welfare', 'member_new_business', 'member_succession', 'member_closure_prep', 'member_disaster_special'));
