-- 共同経営者 (小規模, REFERENCE §1.1 #6): at most two per sole proprietor. A co-manager's contract
-- records the proprietor it belongs to (a hash of the business name and business postcode from
-- the enrollment form), so enrollment can count the co-managers already in.
ALTER TABLE contracts ADD COLUMN proprietor_key TEXT;
CREATE INDEX contracts_proprietor ON contracts(proprietor_key);
