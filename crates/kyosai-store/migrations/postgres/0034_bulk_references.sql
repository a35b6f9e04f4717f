-- Set-based reference checks for the two tables a billing run and a result import write by the
-- million (issue #16 item 1): bill_lines and billing_ledger.
--
-- A declared foreign key checks every inserted row on its own: one query and one FOR KEY SHARE
-- lock of the parent row per key, i.e. a WAL record and a dirtied page of `contracts` and
-- `mandates` for every line. Measured on 20,000 bill lines: 780 of 993 ms were the four
-- foreign-key triggers (docs/BENCHMARKS.md). The same rules are kept here, checked once per
-- statement over the rows it wrote (a transition table joined with the parents' primary keys):
--
--   bill_lines.run_id        → billing_runs(id)
--   bill_lines.contract_id   → contracts(id)
--   bill_lines.originator_id → billing_originators(id)
--   bill_lines.mandate_id    → mandates(id), and the mandate is the line's contract's
--   billing_ledger.contract_id  → contracts(id)
--   billing_ledger.bill_line_id → bill_lines(id) when not NULL, and the line is the entry's contract's
--   billing_ledger.import_id    → result_imports(id)  (when not NULL)
--
-- What the row lock did besides: keep a referenced parent from being deleted (or its id changed)
-- while the child's transaction is open. These parents are records that are never deleted (the
-- ledger and its sources are kept for the life of the scheme), so their DELETE, TRUNCATE and id
-- changes are refused outright; a parent that a check has seen can therefore never disappear.
-- The checks raise foreign_key_violation (23503), the code a declared key raises.
-- SQLite keeps its declared keys: there they cost little (no row locks, one writer).

ALTER TABLE bill_lines DROP CONSTRAINT bill_lines_run_id_fkey;
ALTER TABLE bill_lines DROP CONSTRAINT bill_lines_contract_id_fkey;
ALTER TABLE bill_lines DROP CONSTRAINT bill_lines_originator_id_fkey;
ALTER TABLE bill_lines DROP CONSTRAINT bill_lines_mandate_id_fkey;
ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_contract_id_fkey;
ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_bill_line_id_fkey;
ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_import_id_fkey;

-- How each statement is checked, cheapest first:
-- * runs, originators and imports are a handful of rows: the distinct values written are
--   looked up, not every row;
-- * a bill line's mandate must be a mandate *of the line's contract*, one primary-key probe
--   that also proves the contract exists (mandates.contract_id is a declared key), a stronger
--   rule than the two separate keys it replaces;
-- * likewise a ledger entry of a bill line must be of that line's contract; an entry without a
--   line probes contracts.
-- Hash joins, merge joins and sequential scans are off inside these functions: otherwise the
-- planner may hash or scan the whole parent table (millions of contracts) for every statement
-- of a few thousand rows (measured: 288 ms instead of 26 ms for 5,000 bill lines), or scan a
-- parent whose statistics still say "empty" (bill_lines early in the first run); either makes
-- a run quadratic.
CREATE FUNCTION bill_lines_references() RETURNS trigger
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT what INTO bad FROM (
        SELECT 'run ' || r.run_id AS what FROM (SELECT DISTINCT run_id FROM written) r
        WHERE NOT EXISTS (SELECT 1 FROM billing_runs p WHERE p.id = r.run_id)
        UNION ALL
        SELECT 'originator ' || o.originator_id FROM (SELECT DISTINCT originator_id FROM written) o
        WHERE NOT EXISTS (SELECT 1 FROM billing_originators p WHERE p.id = o.originator_id)
        UNION ALL
        SELECT 'mandate ' || n.mandate_id || ' of contract ' || n.contract_id FROM written n
        WHERE NOT EXISTS (SELECT 1 FROM mandates p WHERE p.id = n.mandate_id AND p.contract_id = n.contract_id)
    ) missing LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('a bill line references a missing %s', bad);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER bill_lines_references_on_insert AFTER INSERT ON bill_lines
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION bill_lines_references();
CREATE TRIGGER bill_lines_references_on_update AFTER UPDATE ON bill_lines
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION bill_lines_references();

CREATE FUNCTION billing_ledger_references() RETURNS trigger
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    bad TEXT;
BEGIN
    SELECT what INTO bad FROM (
        SELECT 'import ' || i.import_id AS what FROM (SELECT DISTINCT import_id FROM written WHERE import_id IS NOT NULL) i
        WHERE NOT EXISTS (SELECT 1 FROM result_imports p WHERE p.id = i.import_id)
        UNION ALL
        SELECT 'bill line ' || n.bill_line_id || ' of contract ' || n.contract_id FROM written n
        WHERE n.bill_line_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM bill_lines p WHERE p.id = n.bill_line_id AND p.contract_id = n.contract_id)
        UNION ALL
        SELECT 'contract ' || n.contract_id FROM written n
        WHERE n.bill_line_id IS NULL AND NOT EXISTS (SELECT 1 FROM contracts p WHERE p.id = n.contract_id)
    ) missing LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('a ledger entry references a missing %s', bad);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- The ledger is append-only (UPDATE is refused by billing_ledger_no_update): inserts only.
CREATE TRIGGER billing_ledger_references_on_insert AFTER INSERT ON billing_ledger
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billing_ledger_references();

CREATE FUNCTION referenced_record_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
        MESSAGE = format('%s rows are referenced by billing records and are never deleted or renumbered', TG_TABLE_NAME);
END;
$$ LANGUAGE plpgsql;
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_runs', 'contracts', 'billing_originators', 'mandates', 'bill_lines', 'result_imports'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION referenced_record_kept()',
                       t || '_kept', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF id ON %I FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION referenced_record_kept()',
                       t || '_not_renumbered', t);
    END LOOP;
END;
$$;
