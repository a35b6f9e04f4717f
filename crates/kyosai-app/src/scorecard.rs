//! The online-usage scorecard for staff and the committee (issue #14, REFERENCE §9.4): the online
//! usage rate per program, procedure group, procedure and month, cumulative over the range,
//! against the plan's targets; lead times per channel; the share decided automatically; and the
//! online completion rate with the step where people give up.
//!
//! Everything is counted from the `applications` records the portal shows (a withdrawn
//! application included: it was received through its channel all the same) and from the online
//! journeys recorded as members save drafts. Months are months in Japan.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use kyosai_domain::inquiry::InquiryCategory;
use kyosai_domain::scorecard::{
    Group, Line, Targets, is_online, percentile, rate_fraction, usage_rate,
};
use kyosai_domain::{ApplicationStatus, Channel, Procedure, Program, UserId, YearMonth};
use kyosai_store::scorecard as store;
use serde::Serialize;

use crate::clock::jst;
use crate::{Actor, App, AppError};

/// The longest range one scorecard covers: ten fiscal years.
const MAX_MONTHS: i32 = 120;

/// One row: a program's procedure (or group total) in one month, or cumulative over the range
/// when `month` is null.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorecardRow {
    pub program: Program,
    pub group: Group,
    /// `enrollment`, `mandate_change`, `premium_increase`, `premium_decrease`, `premium_change`
    /// (the two combined), every other procedure, or `all` for the group as a whole.
    pub procedure: String,
    /// `YYYY-MM`; null for the cumulative figure over the range.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2026-09"))]
    pub month: Option<YearMonth>,
    /// Applications received online by the member.
    pub online: i64,
    /// Applications received through every channel (staff filing on paper included).
    pub total: i64,
    /// `online / total` rounded to 4 decimals; null when `total` is 0.
    pub rate: Option<f64>,
    pub target_rate: Option<f64>,
    pub target_deadline: Option<Date>,
}

/// Received → completed, for the applications completed out of those received in the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadTime {
    pub channel: Channel,
    pub completed: i64,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// Of the completed applications, how many the rules decided with no person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutomaticShare {
    pub program: Program,
    pub completed: i64,
    pub automatic: i64,
    pub rate: Option<f64>,
}

/// Online procedures started (a draft saved) in the range against those sent, with how many
/// stopped after each step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnlineCompletion {
    pub program: Program,
    pub procedure: Procedure,
    pub started: i64,
    pub completed: i64,
    pub rate: Option<f64>,
    /// Journeys not sent, by the furthest step reached.
    pub given_up: Vec<GivenUp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GivenUp {
    pub step: i64,
    pub count: i64,
}

/// Survey answers (REFERENCE §9.4: split into online and non-online users) for the applications
/// received in the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyResult {
    /// True: applications sent online; false: paper and agency.
    pub online: bool,
    pub answered: i64,
    /// Mean satisfaction (1–5) rounded to 2 decimals; null without answers.
    pub average: Option<f64>,
    /// Answers scoring 1, 2, 3, 4 and 5.
    pub by_score: [i64; 5],
}

/// Contact-center inquiries logged in the range, against the members holding an active contract
/// now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inquiries {
    pub count: i64,
    pub members: i64,
    /// Inquiries per 1,000 members, rounded to 2 decimals; null without members.
    pub per_thousand_members: Option<f64>,
    pub by_category: Vec<InquiryCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InquiryCount {
    pub category: InquiryCategory,
    pub count: i64,
}

/// Staff time per procedure and channel (the cost measure, issue #14 item 5): seconds recorded on
/// the review and data-entry screens, against the applications of that kind received in the
/// range (those decided by the rules count, with no staff time).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffTime {
    pub procedure: Procedure,
    pub channel: Channel,
    pub applications: i64,
    pub staff_seconds: i64,
    /// Staff minutes per application, to one decimal; None without applications.
    pub minutes_per_application: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-04"))]
    pub from: YearMonth,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2027-03"))]
    pub to: YearMonth,
    pub rows: Vec<ScorecardRow>,
    pub lead_times: Vec<LeadTime>,
    pub automatic: Vec<AutomaticShare>,
    pub online_completion: Vec<OnlineCompletion>,
    pub surveys: Vec<SurveyResult>,
    pub inquiries: Inquiries,
    pub staff_time: Vec<StaffTime>,
}

impl Scorecard {
    /// The Japanese name of a row's procedure, for pages and the CSV.
    pub fn row_name(row: &ScorecardRow) -> &'static str {
        Line::of_group(row.group)
            .into_iter()
            .find(|l| l.as_str() == row.procedure)
            .map_or("", Line::name_ja)
    }
}

/// The plan's targets (`rules/scorecard_targets.toml`, embedded).
pub fn targets() -> Result<Targets, AppError> {
    Targets::from_toml(include_str!("../../../rules/scorecard_targets.toml"))
        .map_err(|e| AppError::Internal(format!("rules/scorecard_targets.toml: {e}").into()))
}

/// The months of a query, checked: both `YYYY-MM`, `from` not after `to`, at most ten years.
pub fn parse_range(from: &str, to: &str) -> Result<(YearMonth, YearMonth), AppError> {
    let mut errors = Vec::new();
    let from_m = from.trim().parse::<YearMonth>().map_err(|e| {
        errors.extend(e.0.into_iter().map(|mut f| {
            f.field = "from".into();
            f
        }))
    });
    let to_m = to.trim().parse::<YearMonth>().map_err(|e| {
        errors.extend(e.0.into_iter().map(|mut f| {
            f.field = "to".into();
            f
        }))
    });
    match (from_m, to_m) {
        (Ok(f), Ok(t)) if f > t => Err(AppError::invalid(
            "to",
            "range",
            "終了月は開始月以降にしてください。",
        )),
        (Ok(f), Ok(t)) if f.months_until(t) >= MAX_MONTHS => Err(AppError::invalid(
            "to",
            "range",
            "期間は120か月（10年）以内にしてください。",
        )),
        (Ok(f), Ok(t)) => Ok((f, t)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The stored timestamp at which a month starts in Japan.
fn month_start(m: YearMonth) -> Result<String, AppError> {
    let start = jst()
        .to_timestamp(m.day(1).to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(kyosai_store::timestamp_text(start))
}

#[derive(Default, Clone, Copy)]
struct Tally {
    online: i64,
    total: i64,
}

impl App {
    /// The scorecard from month `from` to month `to` (inclusive, months in Japan). Staff only.
    pub async fn scorecard(
        &self,
        actor: &Actor,
        from: &str,
        to: &str,
    ) -> Result<Scorecard, AppError> {
        crate::review::require_staff(actor)?;
        let (from, to) = parse_range(from, to)?;
        let targets = targets()?;
        let start = month_start(from)?;
        let end = month_start(to.plus(1))?;
        let mut conn = self.store.read().await?;
        let counts = store::month_counts(&mut conn, &from.to_string(), &to.to_string()).await?;
        let later = store::lead_times(&mut conn, &from.to_string(), &to.to_string()).await?;
        let journeys = store::journeys(&mut conn, &start, &end).await?;
        let answers = kyosai_store::surveys::results(&mut conn, &start, &end).await?;
        let asked = kyosai_store::inquiries::by_category(&mut conn, &start, &end).await?;
        let members = kyosai_store::inquiries::members(&mut conn).await?;
        let staff = store::staff_seconds(&mut conn, &start, &end).await?;
        drop(conn);

        // Usage: every application counts in its rows, per month and cumulatively.
        let mut tallies: BTreeMap<(Program, Line, Option<YearMonth>), Tally> = BTreeMap::new();
        let mut completed: BTreeMap<Program, (i64, i64)> = BTreeMap::new();
        let mut instant: HashMap<Channel, i64> = HashMap::new();
        let mut received: HashMap<(Procedure, Channel), i64> = HashMap::new();
        for c in &counts {
            let (Some(program), Some(procedure), Some(channel), Some(status), Some(month)) = (
                Program::parse(&c.program),
                Procedure::parse(&c.procedure),
                Channel::parse(&c.channel),
                ApplicationStatus::parse(&c.status),
                c.month.parse::<YearMonth>().ok(),
            ) else {
                return Err(AppError::Internal(
                    format!("unreadable application counts: {c:?}").into(),
                ));
            };
            *received.entry((procedure, channel)).or_default() += c.count;
            for line in Line::counted_in(procedure, c.decrease) {
                for m in [Some(month), None] {
                    let t = tallies.entry((program, line, m)).or_default();
                    t.total += c.count;
                    if is_online(channel) {
                        t.online += c.count;
                    }
                }
            }
            if status == ApplicationStatus::Completed {
                let share = completed.entry(program).or_default();
                share.0 += c.count;
                if c.automatic {
                    share.1 += c.count;
                    *instant.entry(channel).or_default() += c.count;
                }
            }
        }
        let fraction = |online: i64, total: i64| usage_rate(online, total).map(rate_fraction);
        let mut rows = Vec::new();
        let months: Vec<YearMonth> = (0..=from.months_until(to)).map(|i| from.plus(i)).collect();
        for program in Program::ALL {
            for group in Group::ALL {
                for line in Line::of_group(group) {
                    for month in months.iter().copied().map(Some).chain([None]) {
                        let t = tallies
                            .get(&(program, line, month))
                            .copied()
                            .unwrap_or_default();
                        let day = month.unwrap_or(to).day(31);
                        let target = targets.for_row(program, line, day);
                        rows.push(ScorecardRow {
                            program,
                            group,
                            procedure: line.as_str().to_string(),
                            month,
                            online: t.online,
                            total: t.total,
                            rate: fraction(t.online, t.total),
                            target_rate: target.map(|t| rate_fraction(t.rate)),
                            target_deadline: target.map(|t| t.deadline),
                        });
                    }
                }
            }
        }

        // Lead times: those decided at once took no time; the others as the rollup counted them.
        let mut durations: HashMap<Channel, Vec<(i64, i64)>> = HashMap::new();
        for (channel, seconds, n) in &later {
            let Some(channel) = Channel::parse(channel) else {
                return Err(AppError::Internal(
                    format!("unreadable lead time: {channel} {seconds} {n}").into(),
                ));
            };
            durations.entry(channel).or_default().push((*seconds, *n));
        }
        let lead_times = Channel::ALL
            .into_iter()
            .map(|channel| {
                let mut all = vec![(0, instant.get(&channel).copied().unwrap_or(0))];
                all.extend(durations.get(&channel).into_iter().flatten().copied());
                all.sort_unstable();
                LeadTime {
                    channel,
                    completed: all.iter().map(|(_, n)| n).sum(),
                    p50_seconds: percentile(&all, 50),
                    p90_seconds: percentile(&all, 90),
                }
            })
            .collect();
        let automatic = Program::ALL
            .into_iter()
            .map(|program| {
                let (done, auto) = completed.get(&program).copied().unwrap_or_default();
                AutomaticShare {
                    program,
                    completed: done,
                    automatic: auto,
                    rate: fraction(auto, done),
                }
            })
            .collect();

        let mut by_procedure: BTreeMap<(Program, Procedure), OnlineCompletion> = BTreeMap::new();
        for (program, procedure, step, finished, n) in journeys {
            let (Some(program), Some(procedure)) =
                (Program::parse(&program), Procedure::parse(&procedure))
            else {
                return Err(AppError::Internal(
                    format!("unreadable journey: {program} {procedure}").into(),
                ));
            };
            let entry =
                by_procedure
                    .entry((program, procedure))
                    .or_insert_with(|| OnlineCompletion {
                        program,
                        procedure,
                        started: 0,
                        completed: 0,
                        rate: None,
                        given_up: Vec::new(),
                    });
            entry.started += n;
            if finished {
                entry.completed += n;
            } else {
                entry.given_up.push(GivenUp { step, count: n });
            }
        }
        let online_completion = by_procedure
            .into_values()
            .map(|mut c| {
                c.rate = fraction(c.completed, c.started);
                c
            })
            .collect();
        let surveys = [true, false]
            .into_iter()
            .map(|online| {
                let mut by_score = [0; 5];
                for (o, score, n) in &answers {
                    if *o == online
                        && let Some(slot) = usize::try_from(*score - 1)
                            .ok()
                            .and_then(|i| by_score.get_mut(i))
                    {
                        *slot += n;
                    }
                }
                let answered: i64 = by_score.iter().sum();
                let points: i64 = by_score.iter().zip(1..).map(|(n, s)| n * s).sum();
                SurveyResult {
                    online,
                    answered,
                    average: (answered > 0)
                        .then(|| (points as f64 / answered as f64 * 100.0).round() / 100.0),
                    by_score,
                }
            })
            .collect();
        let mut by_category = Vec::new();
        for (category, count) in asked {
            let category = InquiryCategory::parse(&category).ok_or_else(|| {
                AppError::Internal(format!("unreadable inquiry category {category}").into())
            })?;
            by_category.push(InquiryCount { category, count });
        }
        let count: i64 = by_category.iter().map(|c| c.count).sum();
        let inquiries = Inquiries {
            count,
            members,
            per_thousand_members: (members > 0)
                .then(|| (count as f64 * 1000.0 / members as f64 * 100.0).round() / 100.0),
            by_category,
        };
        let mut seconds: HashMap<(Procedure, Channel), i64> = HashMap::new();
        for (procedure, channel, s) in staff {
            let (Some(procedure), Some(channel)) =
                (Procedure::parse(&procedure), Channel::parse(&channel))
            else {
                return Err(AppError::Internal(
                    format!("unreadable staff time: {procedure} {channel}").into(),
                ));
            };
            *seconds.entry((procedure, channel)).or_default() += s;
        }
        let mut kinds: Vec<(Procedure, Channel)> =
            received.keys().chain(seconds.keys()).copied().collect();
        kinds.sort_unstable_by_key(|(p, c)| (p.as_str(), c.as_str()));
        kinds.dedup();
        let staff_time = kinds
            .into_iter()
            .map(|key| {
                let applications = received.get(&key).copied().unwrap_or(0);
                let staff_seconds = seconds.get(&key).copied().unwrap_or(0);
                StaffTime {
                    procedure: key.0,
                    channel: key.1,
                    applications,
                    staff_seconds,
                    minutes_per_application: (applications > 0).then(|| {
                        (staff_seconds as f64 / 60.0 / applications as f64 * 10.0).round() / 10.0
                    }),
                }
            })
            .collect();
        Ok(Scorecard {
            staff_time,
            inquiries,
            from,
            to,
            rows,
            lead_times,
            automatic,
            online_completion,
            surveys,
        })
    }

    /// Records that a member reached `step` of an online procedure (a draft saved), for the
    /// online completion rate.
    pub async fn record_journey_step(
        &self,
        member_id: UserId,
        program: Program,
        procedure: Procedure,
        step: u8,
    ) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        store::journey_step(
            tx.conn(),
            member_id,
            program.as_str(),
            procedure.as_str(),
            i64::from(step),
            &self.clock.now_text(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
