-- The portal inbox (お知らせ, issue #10): every mail Kyosai sends a member is also kept here, so
-- the member can read it in the portal with the same reference the mail carries (the outbox id,
-- shown as M00000042) and see what is unread.
CREATE TABLE notices (
    id BIGSERIAL PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES users(id),
    -- The mail this notice is a copy of; its id is the reference printed in the mail's footer.
    outbox_id BIGINT NOT NULL UNIQUE REFERENCES outbox(id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notices_member ON notices(member_id, id);
