-- Operations (issue #16): the outbox keeps mail until it can be sent. A failed delivery is
-- retried after a back-off (doubling, capped at an hour) instead of being given up after ten
-- tries, so a mail-server outage of any length loses nothing and does not spin the loop.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;

-- Bill line ids (the request files' customer numbers) come from this counter, in the chunk's
-- transaction, so a billing run resumed after a crash or a failover numbers its lines exactly as
-- an undisturbed run (a sequence is not transactional and jumps on a promoted standby).
INSERT INTO counters (name, value) SELECT 'bill_line_id', COALESCE(MAX(id), 0) FROM bill_lines;
