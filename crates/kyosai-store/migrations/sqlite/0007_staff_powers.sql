-- What a staff user may decide (maker-checker by role): a reviewer prepares (checks, corrects,
-- recommends), an approver decides (approve, reject, confirm a termination, load a rule set).
-- Every staff user has exactly one row; existing staff keep the powers they had (approver).
CREATE TABLE staff_powers (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    power TEXT NOT NULL CHECK (power IN ('reviewer', 'approver')),
    granted_at TEXT NOT NULL
);

INSERT INTO staff_powers (user_id, power, granted_at)
SELECT id, 'approver', created_at FROM users WHERE role = 'staff';
