-- PostgreSQL's 0040: its mandates_contract index is ordered by (contract_id, id), and the
-- references of notices and billing notices are checked per statement. SQLite's index on
-- contract_id already ends with the rowid (= id), and its declared keys cost little (no row
-- locks, one writer): nothing changes here.
SELECT 1;
