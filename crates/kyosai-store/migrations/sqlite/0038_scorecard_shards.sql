-- PostgreSQL spreads the scorecard's rollup over 128 shards (see its 0038); SQLite, with one
-- writer at a time, keeps every count in shard 0. Nothing changes here.
SELECT 1;
