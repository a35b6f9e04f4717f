-- PostgreSQL orders its mandates_contract index by (contract_id, id) (see its 0040). SQLite's
-- index on contract_id already ends with the rowid (= id), so it is ordered that way: nothing
-- changes here.
SELECT 1;
