-- The contact center's identity checklist (issue #14 item 2). An operator sees a caller's
-- contracts, procedures, notices and debits, and may mail them a link to an online procedure,
-- only after the caller answered the checklist; every check is kept with the items that matched
-- (never the answers given), whether it passed, who asked and when.
CREATE TABLE caller_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id BIGINT NOT NULL REFERENCES users(id),
    member_id BIGINT NOT NULL REFERENCES users(id),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    matched TEXT NOT NULL,
    passed BIGINT NOT NULL CHECK (passed IN (0, 1)),
    checked_at TEXT NOT NULL
);
CREATE INDEX caller_checks_operator ON caller_checks(operator_id, contract_id, id);
