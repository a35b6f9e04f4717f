-- Operations (issue #16): the outbox keeps mail until it can be sent. A failed delivery is
-- retried after a back-off (doubling, capped at an hour) instead of being given up after ten
-- tries, so a mail-server outage of any length loses nothing and does not spin the loop.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
