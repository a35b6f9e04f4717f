-- Issue #15 (security).

-- Per-account login limits: consecutive failures (password or second factor), when the last one
-- happened (the growing delay counts from it) and a temporary lock.
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_login_at TEXT;
ALTER TABLE users ADD COLUMN locked_until TEXT;

-- Per-session limit: wrong second-factor codes on one half-logged-in session.
ALTER TABLE sessions ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0;

-- The audit log is append-only, like the ledger.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Rows from this sequence number on are chained with the HMAC key; earlier rows (written before
-- the key existed) keep their plain SHA-256 links.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 1;
UPDATE audit_head SET keyed_from = seq + 1;

-- What a service account may read (comma-separated scopes, e.g. `billing:read`); none by default.
ALTER TABLE users ADD COLUMN service_scopes TEXT NOT NULL DEFAULT '';

-- Password reset by mail: one-time links (hash only), an hour long.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Second-factor recovery codes: shown once, stored hashed, each used once.
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- Staff-assisted second-factor reset: one staff user records the identity checks, another
-- confirms; only then is the factor cleared.
CREATE TABLE second_factor_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    checklist TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    confirmed_by BIGINT REFERENCES users(id),
    confirmed_at TEXT
);

-- Rule-set versions waiting for a second staff user (maker-checker): the file as uploaded with
-- its hash, who staged it, and the decision.
CREATE TABLE rule_set_stagings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_set_id TEXT NOT NULL,
    program TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    source_text TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    staged_by TEXT NOT NULL,
    staged_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision TEXT CHECK (decision IN ('approved', 'rejected'))
);
