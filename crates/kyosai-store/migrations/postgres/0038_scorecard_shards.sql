-- The scorecard's rollup rows are spread over 128 shards instead of 16 (issue #16 item 1).
-- Every stored application adds one to a rollup row, which stays locked until its transaction
-- commits; with two instances of 16 connections each, 32 enrollments in flight met on 16
-- shards most of the time (`pg_stat_activity`: most waits were the application insert waiting
-- for another enrollment's commit). Readers add the shards up, so only the writers change.
-- The counts are rebuilt from the applications, each under its new shard, so that a later
-- update or deletion finds the row it was counted in.
CREATE OR REPLACE FUNCTION scorecard_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE scorecard_month_counts SET n = n - 1
        WHERE month = scorecard_month(OLD.received_at)
          AND program = OLD.program AND procedure = OLD.procedure AND channel = OLD.channel
          AND status = OLD.status AND automatic = scorecard_automatic(OLD.status, OLD.decided_by)
          AND decrease = scorecard_decrease(OLD.procedure, OLD.checks) AND shard = OLD.id % 128;
        IF OLD.status = 'completed' AND OLD.completed_at IS NOT NULL AND OLD.completed_at <> OLD.received_at THEN
            UPDATE scorecard_lead_times SET n = n - 1
            WHERE month = scorecard_month(OLD.received_at)
              AND channel = OLD.channel
              AND seconds = scorecard_lead_seconds(OLD.received_at, OLD.completed_at)
              AND shard = OLD.id % 128;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO scorecard_month_counts
        VALUES (scorecard_month(NEW.received_at), NEW.program,
                NEW.procedure, NEW.channel, NEW.status, scorecard_automatic(NEW.status, NEW.decided_by),
                scorecard_decrease(NEW.procedure, NEW.checks), NEW.id % 128, 1)
        ON CONFLICT (month, program, procedure, channel, status, automatic, decrease, shard)
        DO UPDATE SET n = scorecard_month_counts.n + 1;
        IF NEW.status = 'completed' AND NEW.completed_at IS NOT NULL AND NEW.completed_at <> NEW.received_at THEN
            INSERT INTO scorecard_lead_times
            VALUES (scorecard_month(NEW.received_at), NEW.channel,
                    scorecard_lead_seconds(NEW.received_at, NEW.completed_at), NEW.id % 128, 1)
            ON CONFLICT (month, channel, seconds, shard) DO UPDATE SET n = scorecard_lead_times.n + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- Rebuilt while no application can change (the migration's transaction holds the lock).
LOCK TABLE applications IN SHARE MODE;
DELETE FROM scorecard_month_counts;
DELETE FROM scorecard_lead_times;
INSERT INTO scorecard_month_counts
SELECT scorecard_month(received_at), program, procedure, channel, status,
       scorecard_automatic(status, decided_by), scorecard_decrease(procedure, checks), id % 128, COUNT(*)
FROM applications GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO scorecard_lead_times
SELECT scorecard_month(received_at), channel,
       scorecard_lead_seconds(received_at, completed_at), id % 128, COUNT(*)
FROM applications
WHERE status = 'completed' AND completed_at IS NOT NULL AND completed_at <> received_at
GROUP BY 1, 2, 3, 4;
