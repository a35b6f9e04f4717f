-- The audit chain's head takes each new row's link as the row is inserted, so appending an
-- audit row is two statements (claim the next sequence number, insert the row) instead of
-- three. The head row is already locked by the transaction that claimed the sequence number.
CREATE FUNCTION audit_log_move_head() RETURNS trigger AS $$
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_move_head();
