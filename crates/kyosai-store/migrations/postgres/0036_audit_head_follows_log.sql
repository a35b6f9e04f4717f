-- The audit chain's head takes the newest row's link as the rows are inserted, so appending
-- audit rows is two statements (claim the sequence numbers, insert the rows) instead of one
-- more per row. Only the row the head's sequence number names moves it (several rows can come
-- in one statement). The head row is already locked by the transaction that claimed the
-- numbers.
CREATE FUNCTION audit_log_move_head() RETURNS trigger AS $$
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_move_head();
