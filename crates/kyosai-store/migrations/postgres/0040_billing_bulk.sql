-- Bulk billing on PostgreSQL, continued (issue #16 item 1; docs/BENCHMARKS.md, session 13).

-- 1. The mandate in force for a month is the newest of a contract's mandates whose effective
-- month is not after it (`billing::billable_chunk`, `contracts::in_force`). With an index on
-- contract_id alone PostgreSQL fetched every mandate of the contract and sorted them, for each
-- contract of a billing chunk; ordered by (contract_id, id) the newest is read first, backwards,
-- and the sort is gone (measured on 2.3 M contracts, one chunk of 20,000: 195–216 ms → 160 ms).
-- The new index replaces the old one, so an enrollment still updates as many indexes.
DROP INDEX mandates_contract;
CREATE INDEX mandates_contract ON mandates(contract_id, id);

-- 2. The references of the notices a billing run and a result import write by the hundred
-- thousand (the first national run mails 357,254 members and records 299,600 billing notices)
-- are checked per statement, as migration 0034 does for bill lines and the ledger:
--
--   notices.member_id           → users(id)
--   notices.outbox_id           → outbox(id)
--   billing_notices.contract_id → contracts(id)
--
-- A declared key checked every row with a query and a FOR KEY SHARE lock of the parent row,
-- which writes the parent's page: measured on the national book, 5,000 notices took 46 ms to
-- insert and 51 ms in their two key triggers; 13,268 billing notices 23 ms and 122 ms.
-- What the row lock did besides, keeping the parent from being deleted or renumbered while the
-- child's transaction is open, the parents' triggers do: users and outbox items, like contracts
-- (0034), are never deleted or renumbered (a member's mail and its copy in the portal inbox are
-- kept, and a user is referenced by every record of their contracts).
ALTER TABLE notices DROP CONSTRAINT notices_member_id_fkey;
ALTER TABLE notices DROP CONSTRAINT notices_outbox_id_fkey;
ALTER TABLE billing_notices DROP CONSTRAINT billing_notices_contract_id_fkey;

-- Index probes only, as in 0034: a hash join or a scan of the parent would cost the whole
-- table for a statement of a few thousand rows.
CREATE FUNCTION notices_references() RETURNS trigger
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT what INTO bad FROM (
        SELECT 'member ' || n.member_id AS what FROM written n
        WHERE NOT EXISTS (SELECT 1 FROM users p WHERE p.id = n.member_id)
        UNION ALL
        SELECT 'outbox item ' || n.outbox_id FROM written n
        WHERE NOT EXISTS (SELECT 1 FROM outbox p WHERE p.id = n.outbox_id)
    ) missing LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('a notice references a missing %s', bad);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notices_references_on_insert AFTER INSERT ON notices
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION notices_references();
CREATE TRIGGER notices_references_on_update AFTER UPDATE ON notices
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION notices_references();

CREATE FUNCTION billing_notices_references() RETURNS trigger
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT 'contract ' || n.contract_id INTO bad FROM written n
    WHERE NOT EXISTS (SELECT 1 FROM contracts p WHERE p.id = n.contract_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('a billing notice references a missing %s', bad);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_notices_references_on_insert AFTER INSERT ON billing_notices
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billing_notices_references();
CREATE TRIGGER billing_notices_references_on_update AFTER UPDATE ON billing_notices
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billing_notices_references();

-- The parents are kept (contracts already are, 0034). The function's message now says so for
-- every table it guards.
CREATE OR REPLACE FUNCTION referenced_record_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
        MESSAGE = format('%s rows are referenced by records kept for the life of the scheme and are never deleted or renumbered', TG_TABLE_NAME);
END;
$$ LANGUAGE plpgsql;
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'outbox'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION referenced_record_kept()',
                       t || '_kept', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF id ON %I FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION referenced_record_kept()',
                       t || '_not_renumbered', t);
    END LOOP;
END;
$$;
