-- Rule-set versions loaded by an operator at run time (`kyosai rules load`). The shipped versions
-- are embedded in the binary; these add to them. Versions are immutable: a correction is a new
-- version with a later effective date or a new id.
CREATE TABLE rule_set_versions (
    id TEXT PRIMARY KEY,
    program TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    source_text TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
