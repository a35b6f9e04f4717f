-- Issued documents (issue #13): every certificate a member downloads gets a document number that
-- a third party (tax office, bank) can check at /verify/{document_number}.
--
-- figures: what the document says, as JSON, exactly as rendered; figures_sha256 is its hash, so
-- asking again with unchanged figures finds the same row (same number), and changed figures (a
-- premium collected since) make a new row while the old number still says what it said then.
-- kind: see kyosai_app::documents::DocumentKind. period: the calendar year for a certificate.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('deduction_certificate')),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    period TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    figures TEXT NOT NULL,
    figures_sha256 TEXT NOT NULL,
    UNIQUE (contract_id, kind, period, figures_sha256)
);

-- The SHA-256 of each format rendered from a document (format: 'xml' for the signed e-Tax XML,
-- 'pdf' for the printed form), as first rendered: /verify shows it so the holder of a file can
-- check it is the one issued.
CREATE TABLE document_renderings (
    document_id BIGINT NOT NULL REFERENCES documents(id),
    format TEXT NOT NULL CHECK (format IN ('xml', 'pdf')),
    sha256 TEXT NOT NULL,
    PRIMARY KEY (document_id, format)
);
