-- PostgreSQL replaces the declared foreign keys of bill_lines and billing_ledger by set-based
-- checks (see migrations/postgres/0034_bulk_references.sql). SQLite keeps its declared keys:
-- there they cost little (no row locks, one writer), so nothing changes here.
SELECT 1;
