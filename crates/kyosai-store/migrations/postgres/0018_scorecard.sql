-- The online-usage scorecard (issue #14, REFERENCE §9.4).
-- applications_received: the scorecard reads every application of a range of months by the time
-- it was received, with the columns it groups by, without touching the table's rows.
CREATE INDEX applications_received ON applications(received_at, program, procedure, channel, status);
-- online_journeys: an online procedure started (a draft saved) and the furthest step reached, so
-- the online completion rate and the step where people give up can be counted. A journey is
-- finished when the member's online application of the same procedure is received after it
-- started; drafts themselves are deleted on submission and cannot tell.
CREATE TABLE online_journeys (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    program TEXT NOT NULL,
    procedure TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_step BIGINT NOT NULL
);
CREATE INDEX online_journeys_started ON online_journeys(started_at);
CREATE INDEX online_journeys_user ON online_journeys(user_id, program, procedure);
-- surveys: the two-question survey after a procedure (満足度 1–5 and free text), one per
-- application, reached by a short code (/s/{code}) that a paper applicant can type from the
-- completion letter; the code is the only credential, so it is random. Answered once.
CREATE TABLE surveys (
    id BIGSERIAL PRIMARY KEY,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id),
    code TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    satisfaction BIGINT,
    comment TEXT,
    answered_at TEXT
);
-- inquiries: each call to the contact center (共済相談室), logged by the operator with what it
-- was about and how it ended (the member when identified), for the help pages and the
-- scorecard's inquiries per 1,000 members.
CREATE TABLE inquiries (
    id BIGSERIAL PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES users(id),
    member_id BIGINT REFERENCES users(id),
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX inquiries_created ON inquiries(created_at);
