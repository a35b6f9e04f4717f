//! Billing inside the server: a background task that bills each program's coming debit month on
//! its file-delivery day, so no one has to remember to run `kyosai billing run`.
//!
//! The delivery day is the month's cut-off (`schedule::cutoff_date`: the debit date minus the
//! rule set's `collection.cutoff_business_days` bank business days), the day the request files
//! must reach the banks. A month stays due until its debit date, so an instance that was down on
//! the delivery day still bills it (late, with a warning). Several instances may run the task:
//! `billing_run`'s lease lets one bill a month and the others get `billing_locked`.

use std::path::PathBuf;
use std::time::Duration;

use jiff::civil::Date;
use kyosai_domain::billing::RunStatus;
use kyosai_domain::rules::RuleBook;
use kyosai_domain::{BusinessCalendar, Program, YearMonth, schedule};
use kyosai_store::billing as store;
use tokio::sync::watch;

use super::{Progress, RunOptions};
use crate::{App, AppError};

/// One (program, month) whose request files are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRun {
    pub program: Program,
    pub month: YearMonth,
    /// The delivery day (cut-off); the run is late when today is after it.
    pub delivery_date: Date,
    pub debit_date: Date,
}

/// The runs due on `today`: for each program, a debit month (this month or the next) whose
/// delivery day has come and whose debit date has not, and that has no completed run yet.
pub fn due_runs(
    rules: &RuleBook,
    calendar: &BusinessCalendar,
    today: Date,
    completed: &[(Program, YearMonth)],
) -> Vec<DueRun> {
    let this_month = YearMonth::of(today);
    let mut due = Vec::new();
    for program in Program::ALL {
        for month in [this_month, this_month.plus(1)] {
            let Some(rule_set) = rules.in_force(program, month.day(1)) else {
                continue;
            };
            let delivery_date = schedule::cutoff_date(&rule_set.collection, calendar, month);
            let debit_date = schedule::debit_date(&rule_set.collection, calendar, month);
            if delivery_date <= today
                && today < debit_date
                && !completed.contains(&(program, month))
            {
                due.push(DueRun {
                    program,
                    month,
                    delivery_date,
                    debit_date,
                });
            }
        }
    }
    due
}

/// How the background billing runs.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Where request files are written (`<data dir>/billing/` by default).
    pub out_dir: PathBuf,
    /// How often to look for due runs.
    pub every: Duration,
    pub run: RunOptions,
}

impl App {
    /// Bills every run due today; returns the (program, month) billed. A run locked by another
    /// instance is left to it; other failures are logged and retried on the next check.
    pub async fn billing_schedule_tick(
        &self,
        cfg: &ScheduleConfig,
    ) -> Result<Vec<(Program, YearMonth)>, AppError> {
        let today = self.clock.today();
        let completed = {
            let mut conn = self.store.read().await?;
            let mut done = Vec::new();
            let this_month = YearMonth::of(today);
            for month in [this_month, this_month.plus(1)] {
                for run in store::runs_for_month(&mut conn, &month.to_string()).await? {
                    if run.status == RunStatus::Completed {
                        done.push((run.program, month));
                    }
                }
            }
            done
        };
        let mut billed = Vec::new();
        for due in due_runs(&self.rules.book(), &self.calendar, today, &completed) {
            let (program, month) = (due.program.as_str(), due.month.to_string());
            if today > due.delivery_date {
                tracing::warn!(program, month, delivery_date = %due.delivery_date, "billing run is late: the delivery day has passed");
            }
            tracing::info!(program, month, debit_date = %due.debit_date, "scheduled billing run starting");
            let progress = |p: Progress| match p {
                Progress::Start { total, .. } => {
                    tracing::info!(program, total, "scheduled billing: contracts to walk");
                }
                Progress::File { name, records } => {
                    tracing::info!(
                        program,
                        file = name,
                        records,
                        "scheduled billing: request file written"
                    );
                }
                Progress::Advance { .. } => {}
            };
            match self
                .billing_run(
                    due.month,
                    Some(due.program),
                    &cfg.out_dir,
                    &cfg.run,
                    &progress,
                )
                .await
            {
                Ok(summaries) => {
                    for s in &summaries {
                        tracing::info!(
                            program,
                            month,
                            lines = s.lines,
                            total_yen = s.total_yen,
                            exceptions = s.exceptions.len(),
                            files = s.files.len(),
                            "scheduled billing run completed"
                        );
                    }
                    billed.push((due.program, due.month));
                }
                Err(AppError::Conflict {
                    code: "billing_locked",
                    ..
                }) => {
                    tracing::info!(program, month, "billing run is held by another instance");
                }
                Err(e) => {
                    tracing::error!(program, month, error = %e, "scheduled billing run failed; retrying at the next check");
                }
            }
        }
        Ok(billed)
    }

    /// Checks for due runs every `cfg.every` until `shutdown` turns true. A run in progress at
    /// shutdown is abandoned at once: its open chunk rolls back, everything committed stays, and
    /// any instance resumes it when the lease expires (`RunOptions::lease_seconds`).
    pub async fn billing_schedule_forever(
        &self,
        cfg: ScheduleConfig,
        mut shutdown: watch::Receiver<bool>,
    ) {
        tracing::info!(out_dir = %cfg.out_dir.display(), every_seconds = cfg.every.as_secs(), "billing schedule on");
        while !*shutdown.borrow() {
            tokio::select! {
                r = self.billing_schedule_tick(&cfg) => {
                    if let Err(e) = r {
                        tracing::error!(error = %e, "billing schedule check failed");
                    }
                }
                _ = shutdown.wait_for(|stop| *stop) => {
                    tracing::warn!("shutdown during a scheduled billing run: the run resumes when its lease expires");
                    break;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(cfg.every) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        tracing::info!("billing schedule stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn book() -> RuleBook {
        RuleBook::embedded().unwrap()
    }

    fn cal() -> BusinessCalendar {
        BusinessCalendar::new(kyosai_refdata::holidays().iter().copied())
    }

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    /// (program, month) due on a day.
    fn due_on(today: Date, completed: &[(Program, YearMonth)]) -> Vec<(Program, YearMonth)> {
        due_runs(&book(), &cal(), today, completed)
            .into_iter()
            .map(|d| (d.program, d.month))
            .collect()
    }

    #[test]
    fn each_program_is_due_from_its_delivery_day_until_its_debit_date() {
        use Program::{SafetyNet as SN, SmallEnterprise as SE};
        // November 2026: 小規模 debits on Wed 18th, delivery 5 business days before = Wed 11th;
        // 倒産防止 debits on Fri 27th, delivery Thu 19th (23rd is 勤労感謝の日).
        let table: [(Date, &[(Program, &str)]); 11] = [
            (date(2026, 11, 10), &[]),
            (date(2026, 11, 11), &[(SE, "2026-11")]),
            (date(2026, 11, 17), &[(SE, "2026-11")]),
            (date(2026, 11, 18), &[]),
            (date(2026, 11, 19), &[(SN, "2026-11")]),
            (date(2026, 11, 26), &[(SN, "2026-11")]),
            (date(2026, 11, 27), &[]),
            // December: 小規模 Fri 18th → delivery Fri 11th.
            (date(2026, 12, 11), &[(SE, "2026-12")]),
            (date(2026, 12, 10), &[]),
            // 倒産防止 debits Mon 28 December (27th is a Sunday) → delivery Mon 21st.
            (date(2026, 12, 18), &[]),
            (date(2026, 12, 21), &[(SN, "2026-12")]),
        ];
        for (today, want) in table {
            let want: Vec<(Program, YearMonth)> = want.iter().map(|(p, m)| (*p, ym(m))).collect();
            assert_eq!(due_on(today, &[]), want, "on {today}");
        }
    }

    #[test]
    fn a_completed_month_is_not_due_again() {
        let today = date(2026, 11, 11);
        assert_eq!(
            due_on(today, &[(Program::SmallEnterprise, ym("2026-11"))]),
            vec![]
        );
        // Another program's or month's completion does not hide it.
        assert_eq!(
            due_on(
                today,
                &[
                    (Program::SafetyNet, ym("2026-11")),
                    (Program::SmallEnterprise, ym("2026-10"))
                ]
            ),
            vec![(Program::SmallEnterprise, ym("2026-11"))]
        );
    }

    #[test]
    fn due_runs_carry_the_delivery_and_debit_dates() {
        let due = due_runs(&book(), &cal(), date(2026, 11, 11), &[]);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].delivery_date, date(2026, 11, 11));
        assert_eq!(due[0].debit_date, date(2026, 11, 18));
    }
}
