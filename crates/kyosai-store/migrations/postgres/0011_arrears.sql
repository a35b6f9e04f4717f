-- Arrears of 12 months or more (REFERENCE §2.7): the arrears are no longer debited; the member
-- gets a 納付書 (payment slip, own reference, payable at a bank or convenience store) with a
-- deadline and a 『契約解除予告』. Only a contract whose slip is unpaid after the deadline becomes
-- a 機構解約/解除 candidate. Payments arrive in payment files (imported once, by sha256).

CREATE TABLE payment_imports (
    id BIGSERIAL PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    record_count BIGINT NOT NULL,
    total_yen BIGINT NOT NULL
);

-- items: the premium months the slip pays, as bill lines store them ('*YYYY-MM=yen' joined by
-- ';'). status: open (sent, unpaid), paid (a payment file reported it), cancelled (the contract
-- was cancelled while it was open). paid_month: the month of paid_on, for replaying standings.
CREATE TABLE payment_slips (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    issued_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    items TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled')),
    paid_on TEXT,
    paid_month TEXT,
    import_id BIGINT REFERENCES payment_imports(id),
    created_at TEXT NOT NULL
);
CREATE INDEX payment_slips_contract ON payment_slips(contract_id, id);
-- At most one open slip per contract.
CREATE UNIQUE INDEX payment_slips_one_open ON payment_slips(contract_id) WHERE status = 'open';
