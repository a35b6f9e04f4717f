-- Foundation schema. Money is BIGINT yen, dates and timestamps are ISO-8601 TEXT (UTC for
-- timestamps, civil Japan dates for dates), identical in both backends.

CREATE TABLE agencies (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('member', 'staff', 'agency', 'data_entry', 'service')),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    email_verified_at TEXT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    agency_id BIGINT REFERENCES agencies(id),
    created_at TEXT NOT NULL
);

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    mfa_done BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('contract_serial', 1000000);

CREATE TABLE applications (
    id BIGSERIAL PRIMARY KEY,
    program TEXT NOT NULL,
    procedure TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('online', 'agency', 'paper')),
    member_id BIGINT NOT NULL REFERENCES users(id),
    agency_id BIGINT REFERENCES agencies(id),
    status TEXT NOT NULL,
    outcome TEXT,
    received_at TEXT NOT NULL,
    completed_at TEXT,
    rule_set TEXT NOT NULL,
    payload TEXT NOT NULL,
    checks TEXT NOT NULL,
    contract_id BIGINT,
    edited_by BIGINT REFERENCES users(id),
    decided_by BIGINT REFERENCES users(id),
    decision_reason TEXT,
    person_key TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX applications_member ON applications(member_id);
CREATE INDEX applications_status ON applications(status, received_at);
CREATE INDEX applications_person ON applications(person_key);

CREATE TABLE contracts (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    program TEXT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES users(id),
    application_id BIGINT NOT NULL REFERENCES applications(id),
    status TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    business_name TEXT NOT NULL,
    person_key TEXT NOT NULL,
    start_date TEXT NOT NULL,
    first_debit_month TEXT NOT NULL,
    monthly_premium BIGINT NOT NULL,
    frequency TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contracts_member ON contracts(member_id);
CREATE INDEX contracts_person ON contracts(person_key);

CREATE TABLE mandates (
    id BIGSERIAL PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX mandates_contract ON mandates(contract_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    processed_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox(processed_at, id);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

CREATE TABLE drafts (
    user_id BIGINT NOT NULL REFERENCES users(id),
    program TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, program)
);
