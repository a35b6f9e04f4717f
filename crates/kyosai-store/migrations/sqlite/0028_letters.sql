-- no-transaction
-- Every member letter as an issued document (issue #13 item 4): 共済契約締結証書, 契約内容確認書,
-- 掛金納付状況のお知らせ, 解除（解約）通知書 and 支払決定通知書兼振込通知書 get document numbers like the
-- certificates. For a letter, figures is the letter as rendered (kyosai_docs Letter, JSON) and
-- period names the event it was sent for (`application:123`, `termination:45`, `2027-03`).
-- SQLite cannot alter a CHECK, so the table is rebuilt as in 0021 (hence `no-transaction`).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE documents_0028 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('deduction_certificate', 'contract_certificate',
        'contract_details', 'payment_status', 'cancellation_notice', 'payout_decision')),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    period TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    figures TEXT NOT NULL,
    figures_sha256 TEXT NOT NULL,
    UNIQUE (contract_id, kind, period, figures_sha256)
);
INSERT INTO documents_0028 (id, document_number, kind, contract_id, period, issued_at, figures, figures_sha256)
    SELECT id, document_number, kind, contract_id, period, issued_at, figures, figures_sha256 FROM documents;
DROP TABLE documents;
ALTER TABLE documents_0028 RENAME TO documents;
-- The portal's documents page lists a contract's documents, newest first.
CREATE INDEX documents_contract ON documents(contract_id, issued_at);
COMMIT;
PRAGMA foreign_keys = ON;
