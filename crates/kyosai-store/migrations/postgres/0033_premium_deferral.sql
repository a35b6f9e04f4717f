-- 掛金の納付期限の延長 (issue #10; REFERENCE §2.6): a 小規模 contract's premiums of
-- deferred_from..=deferred_until are not debited in their months; from the month after, each
-- debit also collects deferral_extra_per_debit of them (kyosai_domain::billing::Deferral).
ALTER TABLE contracts ADD COLUMN deferred_from TEXT;
ALTER TABLE contracts ADD COLUMN deferred_until TEXT;
ALTER TABLE contracts ADD COLUMN deferral_extra_per_debit INTEGER;
