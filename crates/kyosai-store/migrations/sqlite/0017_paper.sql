-- Paper forms delivered by the BPO contractor (issue #14 item 1; docs/paper-batch.md).
-- A batch is imported once (sha256 of the file); its forms are stored whole before any goes
-- through a procedure.
CREATE TABLE paper_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    batch_id TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    imported_by BIGINT NOT NULL REFERENCES users(id),
    imported_at TEXT NOT NULL
);

-- One form of a batch. status: 'verifying' (fields wait for double entry), 'submitted' (it became
-- application_id), 'refused' (a rule or the contract refused it after verification; reason says why).
-- fields is the JSON object {name: {value, confidence}} as delivered; verified values are in
-- paper_keyings. image_base64 is the scanned JPEG/PNG (checked by its magic bytes).
CREATE TABLE paper_forms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id BIGINT NOT NULL REFERENCES paper_batches(id),
    form_id TEXT NOT NULL,
    procedure TEXT NOT NULL,
    target TEXT NOT NULL,
    agency_id BIGINT REFERENCES agencies(id),
    fields TEXT NOT NULL,
    image_type TEXT NOT NULL,
    image_base64 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('verifying', 'submitted', 'refused')),
    reason TEXT,
    application_id BIGINT REFERENCES applications(id),
    created_at TEXT NOT NULL,
    UNIQUE (batch_id, form_id)
);

-- A field a form sends to double-entry verification (below the OCR confidence threshold, or
-- named by a rule that refused the form). why: 'low_confidence' or 'rule'.
CREATE TABLE paper_verify_fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_form_id BIGINT NOT NULL REFERENCES paper_forms(id),
    field TEXT NOT NULL,
    why TEXT NOT NULL,
    message TEXT,
    UNIQUE (paper_form_id, field)
);

-- What an operator keyed for one field from the image: round 1 and 2 by two different operators,
-- round 3 (the decision) by a third when they differ. No user keys two rounds of one form.
CREATE TABLE paper_keyings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_form_id BIGINT NOT NULL REFERENCES paper_forms(id),
    field TEXT NOT NULL,
    round BIGINT NOT NULL CHECK (round IN (1, 2, 3)),
    operator_id BIGINT NOT NULL REFERENCES users(id),
    value TEXT NOT NULL,
    keyed_at TEXT NOT NULL,
    UNIQUE (paper_form_id, field, round)
);

-- Staff time on a data-entry screen: one row per submit, from when the screen was opened
-- (opened_at) to the submit (submitted_at); seconds is their difference. The scorecard sums it
-- per procedure and channel as the cost measure (minutes = seconds / 60).
CREATE TABLE data_entry_time (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    screen TEXT NOT NULL,
    paper_form_id BIGINT REFERENCES paper_forms(id),
    procedure TEXT NOT NULL,
    channel TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    opened_at TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    seconds BIGINT NOT NULL
);
CREATE INDEX data_entry_time_procedure ON data_entry_time (procedure, channel);
