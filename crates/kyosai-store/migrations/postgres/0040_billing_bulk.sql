-- The mandate in force for a month is the newest of a contract's mandates whose effective month
-- is not after it (`billing::billable_chunk`, `contracts::in_force`). With an index on
-- contract_id alone PostgreSQL fetched every mandate of the contract and sorted them, for each
-- contract of a billing chunk; ordered by (contract_id, id) the newest is read first, backwards,
-- and the sort is gone (measured on 2.3 M contracts, one chunk of 20,000: 195–216 ms → 160 ms;
-- docs/BENCHMARKS.md, session 13). The new index replaces the old one, so an enrollment still
-- updates as many indexes.
DROP INDEX mandates_contract;
CREATE INDEX mandates_contract ON mandates(contract_id, id);
