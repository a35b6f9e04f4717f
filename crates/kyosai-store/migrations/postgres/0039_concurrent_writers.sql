-- Concurrent writers on PostgreSQL (issue #16 item 1): several audit chains, and indexes for
-- the enrollment standing check.
--
-- Several audit chains (issue #16 item 1). With one chain every writer queues behind the one
-- head row from its audit append to its commit, so on PostgreSQL enrollments commit one at a
-- time. A writer now takes the first chain whose head no other transaction holds (chain 1 when
-- alone) and links its rows to that chain's last row; `verify` checks each chain with its own
-- head and the signed checkpoints name one row per chain.
--
-- Rows keep one sequence number across chains (their order in the log, and the key of a
-- checkpoint), drawn from a sequence: gaps after a rollback, never duplicates. Chain 1 holds
-- every row written before this migration, so its links are unchanged.
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 1;
CREATE INDEX audit_log_chain ON audit_log(chain, seq);

CREATE SEQUENCE audit_seq;
SELECT setval('audit_seq', (SELECT seq FROM audit_head WHERE id = 1) + 1, false);

-- 32 chains: as many as two instances' connection pools can hold transactions at once.
INSERT INTO audit_head (id, seq, hash, keyed_from)
    SELECT g, 0, repeat('0', 64), 1 FROM generate_series(2, 32) AS g;

CREATE OR REPLACE FUNCTION audit_log_move_head() RETURNS trigger AS $$
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = NEW.chain AND seq = NEW.seq;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- The enrollment standing check (`applications::enrollment_standing`) asks for a member's
-- applications and contracts by member, program and status, and for another member's by person
-- key and program. PostgreSQL caches one generic plan per connection, made while the tables are
-- young; with the old indexes ((member_id), (person_key, program)) that plan read "contracts of
-- the program" and filtered them, every contract for every enrollment (found with auto_explain
-- under load: about 2,000 buffers a call). Indexes that hold every column the checks compare
-- answer them by an index-only lookup, which the planner prefers at any table size, and still
-- serve every lookup by member or person. (SQLite already plans these by member and person.)
DROP INDEX contracts_member;
CREATE INDEX contracts_member_program ON contracts(member_id, program, status);
DROP INDEX applications_member;
CREATE INDEX applications_member_program ON applications(member_id, program, status);
DROP INDEX contracts_person_program;
CREATE INDEX contracts_person_program ON contracts(person_key, program, member_id);
DROP INDEX applications_person;
CREATE INDEX applications_person ON applications(person_key, program, status, member_id);
