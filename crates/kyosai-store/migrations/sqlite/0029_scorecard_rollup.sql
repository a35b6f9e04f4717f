-- The scorecard's daily rollup (issue #14, docs/BENCHMARKS.md "Scorecard"): counting millions of
-- applications on each request took about a minute at full scale, so triggers keep the counts as
-- applications are stored, decided or removed, and the scorecard reads at most a few rows per
-- month. Keys follow what the scorecard groups by: the month in Japan of `received_at`
-- (`YYYY-MM`, UTC+9), program, procedure, channel, status,
-- decided with no person (`automatic`), and a premium change carrying the `decrease_reason`
-- check (kyosai_domain::scorecard::DECREASE_CHECK). `shard` spreads concurrent writers over
-- several rows on PostgreSQL (application id mod 16); SQLite has one writer at a time, so every
-- row is shard 0 here and the rollup stays as small as its keys.
-- scorecard_lead_times: completed applications decided later than received, by the seconds it
-- took (exact; equal durations share a row).
CREATE TABLE scorecard_month_counts (
    month TEXT NOT NULL,
    program TEXT NOT NULL,
    procedure TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    automatic BIGINT NOT NULL,
    decrease BIGINT NOT NULL,
    shard BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, program, procedure, channel, status, automatic, decrease, shard)
);
CREATE TABLE scorecard_lead_times (
    month TEXT NOT NULL,
    channel TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    shard BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, channel, seconds, shard)
);

INSERT INTO scorecard_month_counts
SELECT strftime('%Y-%m', received_at, '+9 hours'),
       program, procedure, channel, status,
       CASE WHEN status = 'completed' AND decided_by IS NULL THEN 1 ELSE 0 END,
       CASE WHEN procedure = 'premium_change' AND checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END,
       0, COUNT(*)
FROM applications GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO scorecard_lead_times
SELECT strftime('%Y-%m', received_at, '+9 hours'),
       channel, MAX(0, CAST(strftime('%s', completed_at) AS INTEGER) - CAST(strftime('%s', received_at) AS INTEGER)),
       0, COUNT(*)
FROM applications
WHERE status = 'completed' AND completed_at IS NOT NULL AND completed_at <> received_at
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER scorecard_rollup_insert AFTER INSERT ON applications
BEGIN
    INSERT INTO scorecard_month_counts
    VALUES (strftime('%Y-%m', NEW.received_at, '+9 hours'),
            NEW.program, NEW.procedure, NEW.channel, NEW.status,
            CASE WHEN NEW.status = 'completed' AND NEW.decided_by IS NULL THEN 1 ELSE 0 END,
            CASE WHEN NEW.procedure = 'premium_change' AND NEW.checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END,
            0, 1)
    ON CONFLICT (month, program, procedure, channel, status, automatic, decrease, shard) DO UPDATE SET n = n + 1;
    INSERT INTO scorecard_lead_times
    SELECT strftime('%Y-%m', NEW.received_at, '+9 hours'),
           NEW.channel, MAX(0, CAST(strftime('%s', NEW.completed_at) AS INTEGER) - CAST(strftime('%s', NEW.received_at) AS INTEGER)),
           0, 1
    WHERE NEW.status = 'completed' AND NEW.completed_at IS NOT NULL AND NEW.completed_at <> NEW.received_at
    ON CONFLICT (month, channel, seconds, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER scorecard_rollup_remove AFTER DELETE ON applications
BEGIN
    UPDATE scorecard_month_counts SET n = n - 1
    WHERE month = strftime('%Y-%m', OLD.received_at, '+9 hours')
      AND program = OLD.program AND procedure = OLD.procedure AND channel = OLD.channel AND status = OLD.status
      AND automatic = CASE WHEN OLD.status = 'completed' AND OLD.decided_by IS NULL THEN 1 ELSE 0 END
      AND decrease = CASE WHEN OLD.procedure = 'premium_change' AND OLD.checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END
      AND shard = 0;
    UPDATE scorecard_lead_times SET n = n - 1
    WHERE OLD.status = 'completed' AND OLD.completed_at IS NOT NULL AND OLD.completed_at <> OLD.received_at
      AND month = strftime('%Y-%m', OLD.received_at, '+9 hours')
      AND channel = OLD.channel
      AND seconds = MAX(0, CAST(strftime('%s', OLD.completed_at) AS INTEGER) - CAST(strftime('%s', OLD.received_at) AS INTEGER))
      AND shard = 0;
END;

-- An update counts as the old row removed and the new one added.
CREATE TRIGGER scorecard_rollup_update AFTER UPDATE OF received_at, program, procedure, channel, status, decided_by, checks, completed_at ON applications
BEGIN
    UPDATE scorecard_month_counts SET n = n - 1
    WHERE month = strftime('%Y-%m', OLD.received_at, '+9 hours')
      AND program = OLD.program AND procedure = OLD.procedure AND channel = OLD.channel AND status = OLD.status
      AND automatic = CASE WHEN OLD.status = 'completed' AND OLD.decided_by IS NULL THEN 1 ELSE 0 END
      AND decrease = CASE WHEN OLD.procedure = 'premium_change' AND OLD.checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END
      AND shard = 0;
    UPDATE scorecard_lead_times SET n = n - 1
    WHERE OLD.status = 'completed' AND OLD.completed_at IS NOT NULL AND OLD.completed_at <> OLD.received_at
      AND month = strftime('%Y-%m', OLD.received_at, '+9 hours')
      AND channel = OLD.channel
      AND seconds = MAX(0, CAST(strftime('%s', OLD.completed_at) AS INTEGER) - CAST(strftime('%s', OLD.received_at) AS INTEGER))
      AND shard = 0;
    INSERT INTO scorecard_month_counts
    VALUES (strftime('%Y-%m', NEW.received_at, '+9 hours'),
            NEW.program, NEW.procedure, NEW.channel, NEW.status,
            CASE WHEN NEW.status = 'completed' AND NEW.decided_by IS NULL THEN 1 ELSE 0 END,
            CASE WHEN NEW.procedure = 'premium_change' AND NEW.checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END,
            0, 1)
    ON CONFLICT (month, program, procedure, channel, status, automatic, decrease, shard) DO UPDATE SET n = n + 1;
    INSERT INTO scorecard_lead_times
    SELECT strftime('%Y-%m', NEW.received_at, '+9 hours'),
           NEW.channel, MAX(0, CAST(strftime('%s', NEW.completed_at) AS INTEGER) - CAST(strftime('%s', NEW.received_at) AS INTEGER)),
           0, 1
    WHERE NEW.status = 'completed' AND NEW.completed_at IS NOT NULL AND NEW.completed_at <> NEW.received_at
    ON CONFLICT (month, channel, seconds, shard) DO UPDATE SET n = n + 1;
END;
