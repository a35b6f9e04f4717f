-- Registered details (届出事項) and evidence uploads (issue #10, procedure 4).
--
-- contract_details: the contract's registered details, effective-dated. The newest row (highest
-- id) is in force from its effective_from date; older rows are the history. A contract with no
-- row still has the details it was enrolled with: they are read lazily from its enrollment
-- application's payload (and the member's e-mail) until the first change writes a row, so no
-- backfill has to parse JSON in SQL (the two backends differ there). application_id: the
-- details_change application that made the row.
-- legal_form and industry are copied from the enrollment (not changeable here) so a row alone
-- decides eligibility (REFERENCE §1.2).
CREATE TABLE contract_details (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    effective_from TEXT NOT NULL,
    application_id BIGINT REFERENCES applications(id),
    holder_name TEXT NOT NULL,
    business_name TEXT NOT NULL,
    representative TEXT NOT NULL,
    postcode TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    city TEXT NOT NULL,
    address_line TEXT NOT NULL,
    business_address TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    capital_yen BIGINT,
    employees BIGINT NOT NULL,
    legal_form TEXT NOT NULL,
    industry TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contract_details_contract ON contract_details(contract_id, id);

-- Uploaded evidence (添付書類). The file lives outside the web root in the configured evidence
-- directory under `token` (random); the original name is sanitised metadata only.
-- member_id: whose evidence it is (only that member and staff may download it);
-- application_id: the application it was filed with (NULL until then).
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE,
    member_id BIGINT NOT NULL REFERENCES users(id),
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    contract_id BIGINT REFERENCES contracts(id),
    application_id BIGINT REFERENCES applications(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX evidence_application ON evidence(application_id);
