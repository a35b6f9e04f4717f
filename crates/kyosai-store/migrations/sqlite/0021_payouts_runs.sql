-- no-transaction
-- Payout runs (issue #11 items 4–5): each run pays the scheduled payouts due by its transfer
-- date in one 総合振込 (種別 21) file per program, records each file's SHA-256, marks the
-- payouts paid and posts a `paid_out` ledger entry for each. Returned transfers (振込不能) put
-- a payout on hold with a reason until the member gives a new account.
--
-- The ledger's kind CHECK gains `paid_out`. SQLite cannot alter a CHECK, so the table is rebuilt
-- (the documented 12-step procedure: foreign keys off outside a transaction, copy, drop, rename,
-- indexes and append-only triggers recreated); hence
-- `no-transaction` on this file.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE billing_ledger_0021 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    bill_line_id BIGINT REFERENCES bill_lines(id),
    month TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'billed', 'collected', 'failed', 'refunded', 'paid_out')),
    amount BIGINT NOT NULL,
    months BIGINT NOT NULL,
    result_code BIGINT,
    reason TEXT,
    import_id BIGINT REFERENCES result_imports(id),
    at TEXT NOT NULL
);
INSERT INTO billing_ledger_0021 (id, contract_id, bill_line_id, month, kind, amount, months, result_code, reason, import_id, at)
    SELECT id, contract_id, bill_line_id, month, kind, amount, months, result_code, reason, import_id, at FROM billing_ledger;
DROP TABLE billing_ledger;
ALTER TABLE billing_ledger_0021 RENAME TO billing_ledger;
CREATE INDEX billing_ledger_contract ON billing_ledger(contract_id, id);
CREATE UNIQUE INDEX billing_ledger_billed_once ON billing_ledger(bill_line_id) WHERE kind = 'billed';
CREATE UNIQUE INDEX billing_ledger_result_once ON billing_ledger(bill_line_id) WHERE kind IN ('collected', 'failed');
CREATE INDEX billing_ledger_failed ON billing_ledger(contract_id) WHERE kind = 'failed';
CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE ON billing_ledger
BEGIN
    SELECT RAISE(ABORT, 'billing_ledger is append-only');
END;
CREATE TRIGGER billing_ledger_no_delete BEFORE DELETE ON billing_ledger
BEGIN
    SELECT RAISE(ABORT, 'billing_ledger is append-only');
END;

-- One run: a transfer date and its number among that date's runs (a later run on the same date
-- pays only what became due since).
CREATE TABLE payout_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_date TEXT NOT NULL,
    seq BIGINT NOT NULL,
    payout_count BIGINT NOT NULL,
    total_yen BIGINT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (transfer_date, seq)
);
CREATE TABLE payout_run_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES payout_runs(id),
    program TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    records BIGINT NOT NULL,
    total_yen BIGINT NOT NULL
);
-- Each transfer as a run wrote it (amount and account), so a delivered file can be written again
-- byte for byte after its payout was returned and paid elsewhere, and a return is matched
-- against what was sent.
CREATE TABLE payout_transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES payout_runs(id),
    payout_id BIGINT NOT NULL REFERENCES payouts(id),
    program TEXT NOT NULL,
    amount BIGINT NOT NULL,
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    UNIQUE (run_id, payout_id)
);
-- Bank return files (振込不能) imported: the same bytes twice are refused.
CREATE TABLE payout_return_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    records BIGINT NOT NULL,
    actor TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
ALTER TABLE payouts ADD COLUMN run_id BIGINT REFERENCES payout_runs(id);
ALTER TABLE payouts ADD COLUMN paid_at TEXT;
ALTER TABLE payouts ADD COLUMN hold_reason TEXT;
ALTER TABLE payouts ADD COLUMN return_import_id BIGINT REFERENCES payout_return_imports(id);
CREATE INDEX payouts_run ON payouts(run_id);
COMMIT;
PRAGMA foreign_keys = ON;
