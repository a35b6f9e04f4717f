-- Contract serials come from a sequence on PostgreSQL (issue #16 item 1). The `counters` row
-- was updated by every enrollment and stayed locked until its commit, so concurrent
-- enrollments queued on it (`pg_stat_activity`: most waits were on that row). A sequence hands
-- out numbers without a lock; a number drawn by a transaction that rolls back is not reused,
-- so contract numbers can have gaps, never duplicates. SQLite (one writer at a time) keeps the
-- gap-free counter.
CREATE SEQUENCE contract_serial;
SELECT setval('contract_serial', (SELECT value FROM counters WHERE name = 'contract_serial'));
DELETE FROM counters WHERE name = 'contract_serial';
