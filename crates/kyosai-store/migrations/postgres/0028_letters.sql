-- Every member letter as an issued document (issue #13 item 4): 共済契約締結証書, 契約内容確認書,
-- 掛金納付状況のお知らせ, 解除（解約）通知書 and 支払決定通知書兼振込通知書 get document numbers like the
-- certificates. For a letter, figures is the letter as rendered (kyosai_docs Letter, JSON) and
-- period names the event it was sent for (`application:123`, `termination:45`, `2027-03`).
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('deduction_certificate', 'contract_certificate', 'contract_details',
                    'payment_status', 'cancellation_notice', 'payout_decision'));
-- The portal's documents page lists a contract's documents, newest first.
CREATE INDEX documents_contract ON documents(contract_id, issued_at);
