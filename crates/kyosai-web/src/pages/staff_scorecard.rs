//! The staff scorecard page (オンライン利用率, issue #14): the usage rate per program, group,
//! procedure and month against the plan's targets, as tables and as charts drawn on the server
//! (SVG with a title and a description, the table being the text equivalent: no JavaScript);
//! lead times, the automatic share, the online completion rate, surveys, inquiries and staff
//! minutes; the same rows as CSV for the committee's spreadsheet, and everything as a PDF report
//! for the committee.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyosai_app::AppError;
use kyosai_app::ja_text::ja_month;
use kyosai_app::pdf_documents::{Report, ReportSection};
use kyosai_app::scorecard::{Scorecard, ScorecardRow};
use kyosai_domain::scorecard::{Group, Line};
use kyosai_domain::{FieldError, Program, YearMonth};
use serde::Deserialize;

use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;

#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

struct Cell {
    text: String,
}

struct TableRow {
    name: &'static str,
    total_row: bool,
    cells: Vec<Cell>,
    cumulative: String,
    target: String,
}

struct ProgramTable {
    id: &'static str,
    name: &'static str,
    rows: Vec<TableRow>,
    charts: Vec<String>,
}

struct Figure {
    label: String,
    value: String,
    note: String,
}

#[derive(Template)]
#[template(path = "staff_scorecard.html")]
struct ScorecardPage {
    layout: Layout,
    summary: Vec<SummaryItem>,
    from: Field,
    to: Field,
    months: Vec<String>,
    tables: Vec<ProgramTable>,
    lead_times: Vec<Figure>,
    automatic: Vec<Figure>,
    completion: Vec<Figure>,
    surveys: Vec<Figure>,
    inquiries: Vec<Figure>,
    staff_time: Vec<Figure>,
    /// The longest stretch one screen counts for, in minutes.
    screen_cap_minutes: i64,
    csv_href: String,
    pdf_href: String,
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn usage(row: &ScorecardRow) -> String {
    match row.rate {
        Some(_) => format!("{}（{}/{}）", percent(row.rate), row.online, row.total),
        None => "—".into(),
    }
}

fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "—".into(),
        Some(s) if s < 3_600 => format!("{}分", s / 60),
        Some(s) if s < 86_400 => format!("{:.1}時間", s as f64 / 3_600.0),
        Some(s) => format!("{:.1}日", s as f64 / 86_400.0),
    }
}

/// The default range: the fiscal year (April–March) up to this month.
fn default_range(today: jiff::civil::Date) -> (String, String) {
    let now = YearMonth::of(today);
    let april = YearMonth::new(now.fiscal_year(), 4).unwrap_or(now);
    (april.to_string(), now.to_string())
}

/// A bar chart of one program's group total per month, with the target as a dashed line. The
/// table beside it carries the same figures as text.
fn chart(program: Program, group: Group, rows: &[&ScorecardRow], id: &str) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 28.0;
    let plot_h = H - BOTTOM - 12.0;
    let monthly: Vec<&&ScorecardRow> = rows.iter().filter(|r| r.month.is_some()).collect();
    let n = monthly.len().max(1) as f64;
    let slot = (W - LEFT - 8.0) / n;
    let y = |rate: f64| 12.0 + plot_h * (1.0 - rate.clamp(0.0, 1.0));
    let title = format!(
        "{} {}のオンライン利用率（月別）",
        program.name_ja(),
        group.name_ja()
    );
    let mut desc = String::new();
    for r in &monthly {
        let _ = write!(
            desc,
            "{}：{}。",
            r.month.map(ja_month).unwrap_or_default(),
            percent(r.rate)
        );
    }
    let target = rows
        .iter()
        .find(|r| r.month.is_none())
        .and_then(|r| r.target_rate);
    if let Some(t) = target {
        let _ = write!(desc, "目標：{}。", percent(Some(t)));
    }
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {W} {H}\" aria-labelledby=\"{id}-title {id}-desc\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>"
    );
    for pct in [0, 50, 100] {
        let yy = y(f64::from(pct) / 100.0);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{yy}\" y2=\"{yy}\" class=\"chart__grid\"/>\
             <text x=\"{}\" y=\"{}\" class=\"chart__axis\" text-anchor=\"end\">{pct}%</text>",
            LEFT - 4.0,
            yy + 4.0
        );
    }
    let label_every = (monthly.len() / 12).max(1);
    for (i, r) in monthly.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let rate = r.rate.unwrap_or(0.0);
        let top = y(rate);
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"chart__bar\"/>",
            slot * 0.7,
            (12.0 + plot_h - top).max(0.0)
        );
        if i % label_every == 0
            && let Some(m) = r.month
        {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" class=\"chart__axis\" text-anchor=\"middle\">{}/{}</text>",
                x + slot * 0.35,
                H - 8.0,
                m.year() % 100,
                m.month()
            );
        }
    }
    if let Some(t) = target {
        let yy = y(t);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"chart__target\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

fn tables(card: &Scorecard) -> Vec<ProgramTable> {
    Program::ALL
        .into_iter()
        .map(|program| {
            let mut by_line: BTreeMap<(Group, &str), Vec<&ScorecardRow>> = BTreeMap::new();
            for r in card.rows.iter().filter(|r| r.program == program) {
                by_line
                    .entry((r.group, r.procedure.as_str()))
                    .or_default()
                    .push(r);
            }
            let mut rows = Vec::new();
            let mut charts = Vec::new();
            for group in Group::ALL {
                for line in Line::of_group(group) {
                    let Some(cells) = by_line.get(&(group, line.as_str())) else {
                        continue;
                    };
                    let cumulative = cells.iter().find(|r| r.month.is_none());
                    if let Line::All(_) = line {
                        charts.push(chart(
                            program,
                            group,
                            cells,
                            &format!("chart-{}-{}", program.as_str(), group.as_str()),
                        ));
                    }
                    rows.push(TableRow {
                        name: line.name_ja(),
                        total_row: matches!(line, Line::All(_)),
                        cells: cells
                            .iter()
                            .filter(|r| r.month.is_some())
                            .map(|r| Cell { text: usage(r) })
                            .collect(),
                        cumulative: cumulative.map(|r| usage(r)).unwrap_or_default(),
                        target: cumulative
                            .and_then(|r| {
                                Some(format!(
                                    "{}（{}まで）",
                                    percent(r.target_rate),
                                    kyosai_app::ja_text::ja_date(r.target_deadline?)
                                ))
                            })
                            .unwrap_or_else(|| "—".into()),
                    });
                }
            }
            ProgramTable {
                id: program.as_str(),
                name: program.name_ja(),
                rows,
                charts,
            }
        })
        .collect()
}

/// The scorecard's figures beside the usage tables, in the words staff and the committee read
/// (the page and the committee PDF show the same).
struct Figures {
    lead_times: Vec<Figure>,
    automatic: Vec<Figure>,
    completion: Vec<Figure>,
    surveys: Vec<Figure>,
    inquiries: Vec<Figure>,
    staff_time: Vec<Figure>,
}

fn figures(card: &Scorecard) -> Figures {
    let lead_times = card
        .lead_times
        .iter()
        .map(|l| Figure {
            label: l.channel.name_ja().to_string(),
            value: format!(
                "中央値 {} ／ 90%点 {}",
                duration(l.p50_seconds),
                duration(l.p90_seconds)
            ),
            note: format!("完了 {}件", l.completed),
        })
        .collect();
    let automatic = card
        .automatic
        .iter()
        .map(|a| Figure {
            label: a.program.name_ja().to_string(),
            value: percent(a.rate),
            note: format!("完了 {}件のうち自動判定 {}件", a.completed, a.automatic),
        })
        .collect();
    let completion = card
        .online_completion
        .iter()
        .map(|c| Figure {
            label: format!("{} {}", c.program.name_ja(), c.procedure.name_ja()),
            value: percent(c.rate),
            note: format!(
                "開始 {}件・送信 {}件{}",
                c.started,
                c.completed,
                c.given_up
                    .iter()
                    .map(|g| format!("・ステップ{}で中断 {}件", g.step, g.count))
                    .collect::<String>()
            ),
        })
        .collect();
    let surveys = card
        .surveys
        .iter()
        .map(|r| Figure {
            label: if r.online {
                "オンラインで手続きした方".into()
            } else {
                "書面・委託機関で手続きした方".into()
            },
            value: r.average.map_or_else(
                || "回答なし".into(),
                |a| format!("満足度 平均 {a:.2}（5段階）"),
            ),
            note: format!(
                "回答 {}件（5：{}件、4：{}件、3：{}件、2：{}件、1：{}件）",
                r.answered,
                r.by_score[4],
                r.by_score[3],
                r.by_score[2],
                r.by_score[1],
                r.by_score[0]
            ),
        })
        .collect();
    let i = &card.inquiries;
    let inquiries = std::iter::once(Figure {
        label: "会員1,000人あたり".into(),
        value: i
            .per_thousand_members
            .map_or_else(|| "—".into(), |p| format!("{p:.2}件")),
        note: format!("問い合わせ {}件／有効な契約の会員 {}人", i.count, i.members),
    })
    .chain(i.by_category.iter().map(|c| Figure {
        label: c.category.name_ja().into(),
        value: format!("{}件", c.count),
        note: String::new(),
    }))
    .collect();
    let staff_time = card
        .staff_time
        .iter()
        .map(|t| Figure {
            label: format!("{}（{}）", t.procedure.name_ja(), t.channel.name_ja()),
            value: t
                .minutes_per_application
                .map_or_else(|| "—".into(), |m| format!("1件あたり {m:.1}分")),
            note: format!(
                "職員の作業 {:.1}分／受付 {}件（自動で完了した手続きは0分として含みます）",
                t.staff_seconds as f64 / 60.0,
                t.applications
            ),
        })
        .collect();
    Figures {
        lead_times,
        automatic,
        completion,
        surveys,
        inquiries,
        staff_time,
    }
}

async fn load(
    state: &AppState,
    signed: &SignedIn,
    q: &RangeQuery,
) -> Result<(Scorecard, String, String), AppError> {
    let (df, dt) = default_range(state.app.clock.today());
    let from = q.from.clone().filter(|s| !s.is_empty()).unwrap_or(df);
    let to = q.to.clone().filter(|s| !s.is_empty()).unwrap_or(dt);
    let card = state.app.scorecard(&signed.actor, &from, &to).await?;
    Ok((card, from, to))
}

fn range_fields(from: &str, to: &str, errors: &[FieldError]) -> (Field, Field) {
    let values = BTreeMap::from([
        ("from".to_string(), from.to_string()),
        ("to".to_string(), to.to_string()),
    ]);
    (
        Field::text("from", "開始月")
            .input_type("month")
            .hint("例：2026-04")
            .width("10")
            .fill(&values, errors),
        Field::text("to", "終了月")
            .input_type("month")
            .hint("例：2027-03（120か月まで）")
            .width("10")
            .fill(&values, errors),
    )
}

pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<RangeQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let layout = Layout::user("オンライン利用率（スコアカード）", &signed.user);
    let (card, from, to) = match load(&state, &signed, &q).await {
        Ok(x) => x,
        Err(AppError::Invalid(errors)) => {
            let (from, to) = range_fields(
                q.from.as_deref().unwrap_or(""),
                q.to.as_deref().unwrap_or(""),
                &errors,
            );
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ScorecardPage {
                    layout,
                    summary: summary([&from, &to]),
                    from,
                    to,
                    months: Vec::new(),
                    tables: Vec::new(),
                    lead_times: Vec::new(),
                    automatic: Vec::new(),
                    completion: Vec::new(),
                    surveys: Vec::new(),
                    inquiries: Vec::new(),
                    staff_time: Vec::new(),
                    screen_cap_minutes: kyosai_app::staff_time::MAX_SCREEN_SECONDS / 60,
                    csv_href: String::new(),
                    pdf_href: String::new(),
                },
            );
        }
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let (from_f, to_f) = range_fields(&from, &to, &[]);
    let months = (0..=card.from.months_until(card.to))
        .map(|i| ja_month(card.from.plus(i)))
        .collect();
    let f = figures(&card);
    render(
        StatusCode::OK,
        &ScorecardPage {
            staff_time: f.staff_time,
            screen_cap_minutes: kyosai_app::staff_time::MAX_SCREEN_SECONDS / 60,
            inquiries: f.inquiries,
            surveys: f.surveys,
            layout,
            summary: Vec::new(),
            from: from_f,
            to: to_f,
            months,
            tables: tables(&card),
            lead_times: f.lead_times,
            automatic: f.automatic,
            completion: f.completion,
            csv_href: format!("/staff/scorecard.csv?from={}&to={}", card.from, card.to),
            pdf_href: format!("/staff/scorecard.pdf?from={}&to={}", card.from, card.to),
        },
    )
}

/// One CSV line, quoting every field (names hold 、 and （）).
fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// The rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Japanese).
pub fn csv(card: &Scorecard) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(
        &[
            "program",
            "program_ja",
            "group",
            "procedure",
            "procedure_ja",
            "month",
            "online",
            "total",
            "rate",
            "target_rate",
            "target_deadline",
        ]
        .map(String::from),
    ));
    let opt = |v: Option<f64>| v.map(|r| format!("{r:.4}")).unwrap_or_default();
    for r in &card.rows {
        out.push_str(&csv_line(&[
            r.program.as_str().into(),
            r.program.name_ja().into(),
            r.group.as_str().into(),
            r.procedure.clone(),
            Scorecard::row_name(r).into(),
            r.month.map(|m| m.to_string()).unwrap_or_default(),
            r.online.to_string(),
            r.total.to_string(),
            opt(r.rate),
            opt(r.target_rate),
            r.target_deadline.map(|d| d.to_string()).unwrap_or_default(),
        ]));
    }
    out
}

pub async fn csv_export(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<RangeQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let card = match load(&state, &signed, &q).await {
        Ok((card, ..)) => card,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let name = format!("scorecard_{}_{}.csv", card.from, card.to);
    let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) else {
        return app_error(
            AppError::Internal(format!("file name not usable in a header: {name}").into()),
            Some(&signed.user),
        );
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv(&card),
    )
        .into_response()
}

/// A list of figures as a report section: the label, the figure and what it is made of.
fn figure_section(heading: &str, note: &str, figures: Vec<Figure>) -> ReportSection {
    ReportSection {
        heading: heading.to_string(),
        note: note.to_string(),
        columns: vec!["項目".into(), "値".into(), "内訳".into()],
        rows: figures
            .into_iter()
            .map(|f| vec![f.label, f.value, f.note])
            .collect(),
    }
}

/// The scorecard as the committee reads it (issue #14 item 5): the usage tables of each
/// program (per month, cumulative, target) and every figure of the page, as one PDF.
fn committee_report(card: &Scorecard, today: jiff::civil::Date) -> Result<Report, AppError> {
    let months: Vec<String> = (0..=card.from.months_until(card.to))
        .map(|i| ja_month(card.from.plus(i)))
        .collect();
    let mut sections: Vec<ReportSection> = tables(card)
        .into_iter()
        .map(|t| ReportSection {
            heading: format!("{} オンライン利用率", t.name),
            note: "オンライン件数／全件数（利用率）。職員が代わりに受け付けた手続きは書面として数えます。".into(),
            columns: std::iter::once("手続き".to_string())
                .chain(months.iter().cloned())
                .chain(["累計".to_string(), "目標".to_string()])
                .collect(),
            rows: t
                .rows
                .into_iter()
                .map(|r| {
                    std::iter::once(r.name.to_string())
                        .chain(r.cells.into_iter().map(|c| c.text))
                        .chain([r.cumulative, r.target])
                        .collect()
                })
                .collect(),
        })
        .collect();
    let f = figures(card);
    sections.extend([
        figure_section("処理期間（受付から完了まで）", "", f.lead_times),
        figure_section("自動で完了した割合", "", f.automatic),
        figure_section("オンライン手続きの完了率", "", f.completion),
        figure_section("アンケートの結果", "", f.surveys),
        figure_section("共済相談室への問い合わせ", "", f.inquiries),
        figure_section(
            "職員の作業時間（手続き1件あたりのコスト）",
            &format!(
                "審査画面と紙の入力画面の時間（1回あたり最大{}分）。",
                kyosai_app::staff_time::MAX_SCREEN_SECONDS / 60
            ),
            f.staff_time,
        ),
    ]);
    Ok(Report {
        title: "オンライン利用率の実績（第三者委員会 報告）".into(),
        subtitle: format!("{}〜{}", ja_month(card.from), ja_month(card.to)),
        issued_on: today,
        author: kyosai_app::mail::Organization::embedded()?.name.value,
        sections,
    })
}

/// `/staff/scorecard.pdf?from&to`: the committee report as PDF.
pub async fn pdf_export(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<RangeQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let result = async {
        let (card, ..) = load(&state, &signed, &q).await?;
        let report = committee_report(&card, state.app.clock.today())?;
        let pdf = state.app.report_pdf(&signed.actor, report).await?;
        Ok::<_, AppError>((format!("scorecard_{}_{}.pdf", card.from, card.to), pdf))
    }
    .await;
    match result {
        Ok((name, pdf)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
