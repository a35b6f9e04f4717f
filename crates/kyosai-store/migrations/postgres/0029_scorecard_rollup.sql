-- The scorecard's daily rollup (issue #14, docs/BENCHMARKS.md "Scorecard"): counting millions of
-- applications on each request took about a minute at full scale, so a trigger keeps the counts
-- as applications are stored, decided or removed, and the scorecard reads a few hundred rows per
-- month. Keys follow what the scorecard groups by: the month in Japan of `received_at`
-- (`YYYY-MM`, UTC+9), program, procedure, channel, status,
-- decided with no person (`automatic`), and a premium change carrying the `decrease_reason`
-- check (kyosai_domain::scorecard::DECREASE_CHECK). `shard` (application id mod 16) spreads
-- concurrent writers over several rows, so enrollments committing at once do not queue on one
-- counter; readers add the shards up.
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

-- Stored timestamps are UTC (`…Z`); the month in Japan is nine hours later.
CREATE FUNCTION scorecard_month(received_at TEXT) RETURNS TEXT IMMUTABLE LANGUAGE sql AS
    $$ SELECT to_char(received_at::timestamp + interval '9 hours', 'YYYY-MM') $$;
CREATE FUNCTION scorecard_decrease(procedure TEXT, checks TEXT) RETURNS BIGINT IMMUTABLE LANGUAGE sql AS
    $$ SELECT CASE WHEN procedure = 'premium_change' AND checks LIKE '%"code":"decrease_reason"%' THEN 1 ELSE 0 END::BIGINT $$;
CREATE FUNCTION scorecard_automatic(status TEXT, decided_by BIGINT) RETURNS BIGINT IMMUTABLE LANGUAGE sql AS
    $$ SELECT CASE WHEN status = 'completed' AND decided_by IS NULL THEN 1 ELSE 0 END::BIGINT $$;
CREATE FUNCTION scorecard_lead_seconds(received_at TEXT, completed_at TEXT) RETURNS BIGINT IMMUTABLE LANGUAGE sql AS
    $$ SELECT GREATEST(0, EXTRACT(EPOCH FROM (completed_at::timestamptz - received_at::timestamptz)))::BIGINT $$;

INSERT INTO scorecard_month_counts
SELECT scorecard_month(received_at), program, procedure, channel, status,
       scorecard_automatic(status, decided_by), scorecard_decrease(procedure, checks), id % 16, COUNT(*)
FROM applications GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO scorecard_lead_times
SELECT scorecard_month(received_at), channel,
       scorecard_lead_seconds(received_at, completed_at), id % 16, COUNT(*)
FROM applications
WHERE status = 'completed' AND completed_at IS NOT NULL AND completed_at <> received_at
GROUP BY 1, 2, 3, 4;

-- An update counts as the old row removed and the new one added.
CREATE FUNCTION scorecard_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE scorecard_month_counts SET n = n - 1
        WHERE month = scorecard_month(OLD.received_at)
          AND program = OLD.program AND procedure = OLD.procedure AND channel = OLD.channel
          AND status = OLD.status AND automatic = scorecard_automatic(OLD.status, OLD.decided_by)
          AND decrease = scorecard_decrease(OLD.procedure, OLD.checks) AND shard = OLD.id % 16;
        IF OLD.status = 'completed' AND OLD.completed_at IS NOT NULL AND OLD.completed_at <> OLD.received_at THEN
            UPDATE scorecard_lead_times SET n = n - 1
            WHERE month = scorecard_month(OLD.received_at)
              AND channel = OLD.channel
              AND seconds = scorecard_lead_seconds(OLD.received_at, OLD.completed_at)
              AND shard = OLD.id % 16;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO scorecard_month_counts
        VALUES (scorecard_month(NEW.received_at), NEW.program,
                NEW.procedure, NEW.channel, NEW.status, scorecard_automatic(NEW.status, NEW.decided_by),
                scorecard_decrease(NEW.procedure, NEW.checks), NEW.id % 16, 1)
        ON CONFLICT (month, program, procedure, channel, status, automatic, decrease, shard)
        DO UPDATE SET n = scorecard_month_counts.n + 1;
        IF NEW.status = 'completed' AND NEW.completed_at IS NOT NULL AND NEW.completed_at <> NEW.received_at THEN
            INSERT INTO scorecard_lead_times
            VALUES (scorecard_month(NEW.received_at), NEW.channel,
                    scorecard_lead_seconds(NEW.received_at, NEW.completed_at), NEW.id % 16, 1)
            ON CONFLICT (month, channel, seconds, shard) DO UPDATE SET n = scorecard_lead_times.n + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER scorecard_rollup_insert_delete AFTER INSERT OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION scorecard_rollup();
CREATE TRIGGER scorecard_rollup_update
    AFTER UPDATE OF received_at, program, procedure, channel, status, decided_by, checks, completed_at
    ON applications FOR EACH ROW EXECUTE FUNCTION scorecard_rollup();
