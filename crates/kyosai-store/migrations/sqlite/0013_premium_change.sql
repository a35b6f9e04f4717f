-- 掛金月額の増額・減額 by the member (issue #10, REFERENCE §2.4).
-- application_id: the premium_change application that made the change (NULL: synthetic/demo).
-- late_from / previous_premium: the change applies from late_from although the months from
-- late_from up to effective_month are billed at previous_premium (a 倒産防止 change received
-- after the 5th, a 小規模 翌々月 increase). Billing then adds an increase's difference to the
-- debit of effective_month, or credits a decrease's excess against the months from it on.
-- NULL: nothing to settle.
ALTER TABLE premium_changes ADD COLUMN application_id BIGINT REFERENCES applications(id);
ALTER TABLE premium_changes ADD COLUMN late_from TEXT;
ALTER TABLE premium_changes ADD COLUMN previous_premium BIGINT;
