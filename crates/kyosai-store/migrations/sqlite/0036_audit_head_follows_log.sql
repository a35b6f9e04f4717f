-- The audit chain's head takes the newest row's link as the rows are inserted, so appending
-- audit rows is two statements (claim the sequence numbers, insert the rows) instead of one
-- more per row: audit rows are written inside every procedure's write transaction, which all
-- writers wait for. Only the row the head's sequence number names moves it (several rows can
-- come in one statement).
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
END;
