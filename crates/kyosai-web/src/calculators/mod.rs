//! The public simulations as friendly Japanese calculators (issue #3): one page per calculator,
//! server-rendered, working without JavaScript. GET shows the form; POST computes with the same
//! pure functions as the JSON API (`kyosai_domain::simulation`) and shows the form again with the
//! result (or with messages next to the fields). No login is needed; a logged-in member sees the
//! form pre-filled from their own contract of that program.
//!
//! Each calculator is a [`Spec`] in its own file: its fields, how the posted text becomes a
//! request, and how the response is explained.

mod bankruptcy_loan;
mod benefit;
mod cancellation_refund;
mod form;
mod member;
mod payout_options;
mod prepayment_discount;
mod temporary_loan;

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jiff::civil::Date;
use kyosai_app::auth::Principal;
use kyosai_domain::rules::{RuleBook, RuleSet};
use kyosai_domain::{FieldError, Invalid, Program};

use crate::AppState;
use crate::form_kit::{Section, SummaryItem, summary};
use crate::pages::view::{Layout, app_error, render};
use crate::session::MaybeUser;

/// The posted (or pre-filled) text of a form, by field name.
pub(crate) type Values = BTreeMap<String, String>;

/// One calculator: its page and its computation.
pub(crate) struct Spec {
    pub path: &'static str,
    pub title: &'static str,
    /// The program whose contract pre-fills the form.
    pub program: Program,
    /// What the calculator answers, in one sentence (page lead and index).
    pub lead: &'static str,
    /// How to use it / what to have at hand, with the figures of the rule set in force.
    pub about: fn(&RuleSet) -> Vec<String>,
    /// Values of a fresh form.
    pub defaults: fn() -> Vec<(&'static str, String)>,
    /// The form, filled with `values` and `errors`; hints quote the rule set in force.
    pub sections: fn(&Values, &[FieldError], &RuleSet) -> Vec<Section>,
    /// Parses the form and computes.
    pub compute: fn(&Values, &Ctx) -> Result<Outcome, Failure>,
    /// Field values taken from the member's contract (empty: this calculator is not pre-filled).
    pub prefill: fn(&member::ContractFacts) -> Vec<(&'static str, String)>,
}

/// What a computation may use besides the form.
pub(crate) struct Ctx<'a> {
    pub book: &'a RuleBook,
    pub today: Date,
}

/// Why there is no result.
pub(crate) enum Failure {
    /// Problems with the input, by form field name.
    Fields(Vec<FieldError>),
    /// Our problem (no rule set in force).
    Internal,
}

impl Failure {
    /// A domain validation failure, with API field names turned into form field names.
    pub fn from_invalid(e: Invalid, rename: impl Fn(&str) -> String) -> Failure {
        if e.0.iter().any(|f| f.code == "rules_unavailable") {
            tracing::error!("calculator without a rule set in force");
            return Failure::Internal;
        }
        Failure::Fields(
            e.0.into_iter()
                .map(|f| FieldError {
                    field: rename(&f.field),
                    ..f
                })
                .collect(),
        )
    }
}

impl Failure {
    /// The domain's answer, given the problems already found while reading the form (`web`).
    /// With such problems the domain has run on placeholders for the fields that could not be
    /// read, so its checks of the other fields are still reported: every problem at once. Its
    /// errors on fields that already have one, and its checks between fields, are left out.
    pub fn check<T>(
        mut web: Vec<FieldError>,
        domain: Result<T, Invalid>,
        rename: impl Fn(&str) -> String,
    ) -> Result<T, Failure> {
        if web.is_empty() {
            return domain.map_err(|e| Failure::from_invalid(e, rename));
        }
        if let Err(e) = domain {
            match Failure::from_invalid(e, rename) {
                Failure::Internal => return Err(Failure::Internal),
                Failure::Fields(more) => {
                    for f in more {
                        let between_fields =
                            matches!(f.code, "inconsistent" | "before_bankruptcy" | "above_cap");
                        if !between_fields && !web.iter().any(|w| w.field == f.field) {
                            web.push(f);
                        }
                    }
                }
            }
        }
        Err(Failure::Fields(web))
    }
}

/// A label and a value in the result.
pub(crate) struct Row {
    pub label: String,
    pub value: String,
}

pub(crate) fn row(label: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        value: value.into(),
    }
}

/// A small table in the result (e.g. the benefit per premium tranche).
pub(crate) struct Table {
    pub caption: String,
    pub head: Vec<String>,
    /// The first cell is a row header; the others are numbers (right-aligned).
    pub rows: Vec<Vec<String>>,
}

pub(crate) struct Link {
    pub href: String,
    pub label: String,
}

pub(crate) fn link(href: impl Into<String>, label: impl Into<String>) -> Link {
    Link {
        href: href.into(),
        label: label.into(),
    }
}

/// A computed result, explained.
pub(crate) struct Outcome {
    /// `受け取れる額の目安`.
    pub headline_label: String,
    /// `621,400円`, or a short answer (`借りられません`).
    pub headline_value: String,
    /// A "yes" (green panel) rather than a "no" or zero.
    pub positive: bool,
    /// Why not (or why limited), from the rules.
    pub reasons: Vec<String>,
    pub rows: Vec<Row>,
    pub table: Option<Table>,
    /// What the result means.
    pub meaning: Vec<String>,
    /// What to do next.
    pub next: Vec<String>,
    pub links: Vec<Link>,
    /// A provisional value was used: show 概算 and `estimate_note`.
    pub estimate: bool,
    pub estimate_note: String,
    /// The rule-set version used, as shown (`safety_net/2017-11-01（2017年11月1日から適用）`).
    pub rule_set: String,
}

impl Outcome {
    pub fn new(label: impl Into<String>, value: impl Into<String>, positive: bool) -> Outcome {
        Outcome {
            headline_label: label.into(),
            headline_value: value.into(),
            positive,
            reasons: Vec::new(),
            rows: Vec::new(),
            table: None,
            meaning: Vec::new(),
            next: Vec::new(),
            links: Vec::new(),
            estimate: false,
            estimate_note: String::new(),
            rule_set: String::new(),
        }
    }

    /// Sets `estimate` and `rule_set` from a response.
    pub fn rules(mut self, estimate: bool, rule_set: &str, book: &RuleBook) -> Outcome {
        self.estimate = estimate;
        self.rule_set = match book.by_id(rule_set) {
            Some(s) => format!(
                "{}（{}年{}月{}日から適用）",
                s.id,
                s.effective_from.year(),
                s.effective_from.month(),
                s.effective_from.day()
            ),
            None => rule_set.to_string(),
        };
        self
    }
}

/// Shown with every 概算 unless a calculator says more precisely which value is provisional.
pub(crate) const ESTIMATE_NOTE: &str = "計算に使った数値の一部が、公表資料で確認できていない暫定の値です。\
     実際の金額とは異なることがあります。正確な金額は、手続きの際に中小機構が計算してお知らせします。";

#[derive(Template)]
#[template(path = "calculators/index.html")]
struct IndexPage {
    layout: Layout,
    groups: Vec<IndexGroup>,
}

struct IndexGroup {
    id: &'static str,
    name: &'static str,
    about: &'static str,
    items: Vec<&'static Spec>,
}

#[derive(Template)]
#[template(path = "calculators/calculator.html")]
struct CalculatorPage {
    layout: Layout,
    path: &'static str,
    program_name: &'static str,
    lead: &'static str,
    about: Vec<String>,
    notice: String,
    summary: Vec<SummaryItem>,
    sections: Vec<Section>,
    from_contract: String,
    result: Option<Outcome>,
}

const ALL: [&Spec; 6] = [
    &benefit::SPEC,
    &payout_options::SPEC,
    &cancellation_refund::SPEC,
    &bankruptcy_loan::SPEC,
    &temporary_loan::SPEC,
    &prepayment_discount::SPEC,
];

/// `/calculators` and one GET + POST route per calculator.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route("/calculators", get(index));
    for spec in ALL {
        router = router.route(
            spec.path,
            get(
                move |s: State<AppState>, u: MaybeUser, q: Query<Vec<(String, String)>>| {
                    show(spec, s, u, q)
                },
            )
            .post(
                move |s: State<AppState>,
                      u: MaybeUser,
                      f: Result<axum::Form<Vec<(String, String)>>, FormRejection>| {
                    submit(spec, s, u, f)
                },
            ),
        );
    }
    router
}

/// The fully logged-in user (password and second factor), if any.
fn signed_in(user: &MaybeUser) -> Option<&Principal> {
    match &user.0 {
        Some((u, true)) => Some(u),
        _ => None,
    }
}

async fn index(user: MaybeUser) -> Response {
    let user = signed_in(&user);
    let group = |id, program: Program, about| IndexGroup {
        id,
        name: program.name_ja(),
        about,
        items: ALL
            .iter()
            .copied()
            .filter(|s| s.program == program)
            .collect(),
    };
    render(
        StatusCode::OK,
        &IndexPage {
            layout: Layout::maybe("共済のかんたん計算", user),
            groups: vec![
                group(
                    "se",
                    Program::SmallEnterprise,
                    "個人事業主や会社の役員の方のための「退職金」の積立てです。やめるとき・引退するときに受け取れる額と、受け取り方を計算できます。",
                ),
                group(
                    "sn",
                    Program::SafetyNet,
                    "取引先の倒産に備える積立てです。借りられる額、解約したときに戻る額、まとめて払ったときの割引を計算できます。",
                ),
            ],
        },
    )
}

async fn show(
    spec: &'static Spec,
    State(s): State<AppState>,
    user: MaybeUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let user = signed_in(&user);
    let rules = match s.app.rules_for(spec.program) {
        Ok(r) => r,
        Err(e) => return app_error(e, user),
    };
    let mut values: Values = (spec.defaults)()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut notice = String::new();
    let mut from_contract = String::new();
    if let Some(u) = user
        && let Some(c) = member::contract(&s.app, u, spec.program).await
    {
        let filled = (spec.prefill)(&c);
        if !filled.is_empty() {
            notice = member::prefill_notice(&c, &filled);
            from_contract = c.number.clone();
            values.extend(filled.into_iter().map(|(k, v)| (k.to_string(), v)));
        }
    }
    // Links from other calculators may pass values (e.g. the benefit to the payout options).
    let known = field_names(spec, &rules);
    for (k, v) in query {
        if known.contains(&k) {
            values.insert(k, form::clip(&v));
        }
    }
    let page = page(
        spec,
        &rules,
        user,
        &values,
        &[],
        notice,
        from_contract,
        None,
    );
    render(StatusCode::OK, &page)
}

async fn submit(
    spec: &'static Spec,
    State(s): State<AppState>,
    user: MaybeUser,
    posted: Result<axum::Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let user = signed_in(&user);
    let rules = match s.app.rules_for(spec.program) {
        Ok(r) => r,
        Err(e) => return app_error(e, user),
    };
    let posted = match posted {
        Ok(axum::Form(v)) => v,
        Err(rejection) => {
            let mut p = page(
                spec,
                &rules,
                user,
                &Values::new(),
                &[],
                String::new(),
                String::new(),
                None,
            );
            p.summary = vec![SummaryItem {
                href: String::new(),
                message: "送信された内容を読み取れませんでした。ページを開き直してから、もう一度お試しください。"
                    .into(),
            }];
            return render(rejection.status(), &p);
        }
    };
    let mut values = Values::new();
    for (k, v) in posted {
        values.entry(k).or_insert_with(|| form::clip(&v));
    }
    // The pre-fill notice stays while the member recomputes with their contract's values.
    let mut notice = String::new();
    let mut from_contract = String::new();
    if let (Some(u), Some(number)) = (user, values.get("from_contract"))
        && let Some(c) = member::contract(&s.app, u, spec.program).await
        && c.number == *number
    {
        notice = format!(
            "ご契約（{}、共済契約者番号 {}）の内容をもとに入力した値で計算しています。書き換えた項目は、書き換えた値で計算しています。",
            c.program_name, c.number
        );
        from_contract = c.number;
    }
    let book = s.app.rules.book();
    let ctx = Ctx {
        book: &book,
        today: s.app.clock.today(),
    };
    match (spec.compute)(&values, &ctx) {
        Ok(outcome) => render(
            StatusCode::OK,
            &page(
                spec,
                &rules,
                user,
                &values,
                &[],
                notice,
                from_contract,
                Some(outcome),
            ),
        ),
        Err(Failure::Fields(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                spec,
                &rules,
                user,
                &values,
                &errors,
                notice,
                from_contract,
                None,
            ),
        ),
        Err(Failure::Internal) => {
            let mut p = page(
                spec,
                &rules,
                user,
                &values,
                &[],
                notice,
                from_contract,
                None,
            );
            p.summary = vec![SummaryItem {
                href: String::new(),
                message: "システムで問題が発生したため、計算できませんでした。時間をおいてもう一度お試しください。"
                    .into(),
            }];
            render(StatusCode::INTERNAL_SERVER_ERROR, &p)
        }
    }
}

fn field_names(spec: &Spec, rules: &RuleSet) -> Vec<String> {
    (spec.sections)(&Values::new(), &[], rules)
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.name.to_string()))
        .collect()
}

#[expect(
    clippy::too_many_arguments,
    reason = "a page is built from every part of the request"
)]
fn page(
    spec: &'static Spec,
    rules: &RuleSet,
    user: Option<&Principal>,
    values: &Values,
    errors: &[FieldError],
    notice: String,
    from_contract: String,
    result: Option<Outcome>,
) -> CalculatorPage {
    let sections = (spec.sections)(values, errors, rules);
    let mut summary = summary(sections.iter().flat_map(|s| s.fields.iter()));
    // Errors about no field on the page (should not happen) still reach the person.
    let shown: Vec<&str> = sections
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.name))
        .collect();
    for e in errors {
        if !shown.contains(&e.field.as_str()) {
            summary.push(SummaryItem {
                href: String::new(),
                message: e.message.clone(),
            });
        }
    }
    CalculatorPage {
        layout: Layout::maybe(spec.title, user),
        path: spec.path,
        program_name: spec.program.name_ja(),
        lead: spec.lead,
        about: (spec.about)(rules),
        notice,
        summary,
        sections,
        from_contract,
        result,
    }
}
