-- The audit chain's head takes each new row's link as the row is inserted, so appending an
-- audit row is two statements (claim the next sequence number, insert the row) instead of
-- three: audit rows are written inside every procedure's write transaction, which all writers
-- wait for on SQLite.
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1;
END;
