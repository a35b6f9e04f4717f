-- Several audit chains (issue #16 item 1; see the PostgreSQL migration): SQLite has one writer
-- at a time, so it keeps the one chain (chain 1) and its gap-free sequence numbers; the column
-- and the head's trigger are the same as on PostgreSQL so one `verify` reads both. No index on
-- (chain, seq): with a single chain the primary key orders it.
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 1;

DROP TRIGGER audit_log_moves_head;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = NEW.chain AND seq = NEW.seq;
END;
