-- 任意解約 and みなし解約 (issue #10): a refund row also records the member's cancellation
-- application (voluntary), the staff user's reason text (deemed), the deemed reason and the
-- payment date quoted from the rule set (NULL for refunds recorded before this migration).
ALTER TABLE cancellation_refunds ADD COLUMN application_id BIGINT REFERENCES applications(id);
ALTER TABLE cancellation_refunds ADD COLUMN deemed_reason TEXT;
ALTER TABLE cancellation_refunds ADD COLUMN note TEXT;
ALTER TABLE cancellation_refunds ADD COLUMN payment_date TEXT;
