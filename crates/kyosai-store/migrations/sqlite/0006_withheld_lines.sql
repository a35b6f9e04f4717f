-- A month whose premium is due while the contract has no usable direct-debit account (the
-- mandate in force was made unusable by a result code 2/3/4): the bill line is still made, so
-- the month is tracked as unpaid and re-billed by the cycle once a new account is registered,
-- but it is withheld from the request file and failed at once (reason no_usable_mandate).
ALTER TABLE bill_lines ADD COLUMN withheld BIGINT NOT NULL DEFAULT 0 CHECK (withheld IN (0, 1));
