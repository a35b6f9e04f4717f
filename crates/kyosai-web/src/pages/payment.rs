//! The member's payment procedures (issue #10), each form → confirmation → done like the
//! account change (`account_change.rs`): `/portal/contracts/{number}/frequency` (小規模 払込区分
//! and 指定納付月), `/prepayment` (前納), `/suspension` (掛止め), `/resumption` (再開, with the
//! account fields and bank search of the account change when a new account is needed) and
//! `/deferral` (小規模 掛金の納付期限の延長 under a disaster special measure).
//!
//! `confirm` asks the use case's preview (nothing stored) and shows what will happen — for the
//! frequency the next debits as billing computes them; `submit` files the procedure. Staff
//! opening these pages act for the member (paper channel). The explanations quote the rule set
//! in force, never a figure of their own.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::payment_frequency::{FrequencyForm, FrequencyPlan};
use kyosai_app::premium_deferral::{DeferralPlan, PremiumDeferralForm};
use kyosai_app::prepayment_application::{PrepaymentForm, PrepaymentPlan};
use kyosai_app::procedure::Answer;
use kyosai_app::suspension::{ResumptionForm, ResumptionPlan, SuspensionPlan};
use kyosai_domain::{ApplicationStatus, FieldError, Program, YearMonth};

use super::FormData;
use super::bank_picker::{self, Hit};
use super::fields::{Row, account_sections};
use super::view::{Layout, app_error, ja_date, render};
use crate::AppState;
use crate::form_kit::{Field, Section, SummaryItem, summary};
use crate::session::SignedIn;

/// Which procedure a page is for (the last path segment).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Frequency,
    Prepayment,
    Suspension,
    Resumption,
    Deferral,
}

impl Kind {
    /// The procedure the page files (its help page is `/help/<procedure>`).
    fn procedure(self) -> kyosai_domain::Procedure {
        use kyosai_domain::Procedure;
        match self {
            Kind::Frequency => Procedure::FrequencyChange,
            Kind::Prepayment => Procedure::Prepayment,
            Kind::Suspension => Procedure::Suspension,
            Kind::Resumption => Procedure::Resumption,
            Kind::Deferral => Procedure::PremiumDeferral,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Frequency => "frequency",
            Kind::Prepayment => "prepayment",
            Kind::Suspension => "suspension",
            Kind::Resumption => "resumption",
            Kind::Deferral => "deferral",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Frequency => &["frequency", "designated_month"],
            Kind::Prepayment | Kind::Deferral => &["months"],
            Kind::Suspension => &[],
            Kind::Resumption => &[
                "bank_code",
                "branch_code",
                "account_type",
                "account_number",
                "account_holder_kana",
            ],
        }
    }

    fn title(self, mode: &str) -> &'static str {
        match (self, mode) {
            (Kind::Frequency, "confirm") => "払込区分の変更の確認",
            (Kind::Frequency, "done") => "払込区分を変更しました",
            (Kind::Frequency, _) => "払込区分の変更",
            (Kind::Prepayment, "confirm") => "前納のお申し出の確認",
            (Kind::Prepayment, "done") => "前納のお申し出を受け付けました",
            (Kind::Prepayment, _) => "掛金の前納",
            (Kind::Suspension, "confirm") => "掛止めの確認",
            (Kind::Suspension, "done") => "掛止めを受け付けました",
            (Kind::Suspension, _) => "掛金の掛止め",
            (Kind::Resumption, "confirm") => "掛金納付の再開の確認",
            (Kind::Resumption, "done") => "掛金納付の再開を受け付けました",
            (Kind::Resumption, _) => "掛金納付の再開",
            (Kind::Deferral, "confirm") => "納付期限の延長の確認",
            (Kind::Deferral, "done") => "納付期限の延長を受け付けました",
            (Kind::Deferral, _) => "掛金の納付期限の延長",
        }
    }
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    path: &'static str,
    /// The procedure's help page.
    help: String,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    /// What the procedure is and its rules, from the rule set in force.
    intro: Vec<String>,
    notice: String,
    summary: Vec<SummaryItem>,
    sections: Vec<Section>,
    /// Confirmation and done: what happens.
    rows: Vec<Row>,
    /// Confirmation: the fields again, hidden, for the submit.
    hidden: Vec<(&'static str, String)>,
    submit_label: &'static str,
    /// Done: the first paragraph.
    done_text: String,
    bank_name: String,
    bank_query: String,
    bank_searched: bool,
    bank_results: Vec<Hit>,
    branch_name: String,
    branch_query: String,
    branch_searched: bool,
    branch_results: Vec<Hit>,
    branch_message: String,
}

fn ja_month(m: YearMonth) -> String {
    kyosai_app::ja_text::ja_month(m)
}

fn row(label: &str, value: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        value: value.into(),
    }
}

fn frequency_rows(p: &FrequencyPlan) -> Vec<Row> {
    let mut rows = vec![row("新しい払込区分", p.frequency.name_ja())];
    if let Some(m) = p.designated_month {
        rows.push(row("指定納付月", format!("{m}月")));
    }
    rows.push(row(
        "変更する月",
        format!("{}分から", ja_month(p.effective_month)),
    ));
    for d in &p.next_debits {
        rows.push(row(
            &format!("{}の引落し", ja_date(d.debit_date)),
            format!("{}（{}か月分）", d.amount_yen, d.months_covered),
        ));
    }
    rows
}

fn prepayment_rows(p: &PrepaymentPlan) -> Vec<Row> {
    vec![
        row(
            "前納する月",
            format!(
                "{}から{}まで（{}か月分）",
                ja_month(p.first_month),
                ja_month(p.last_month),
                p.months
            ),
        ),
        row("掛金月額", p.monthly_premium_yen.to_string()),
        row("前納金", p.amount_yen.to_string()),
        row(
            "前納減額金（見込み）",
            format!(
                "{}{}（3月末の状況で計算し、6月にお支払いします）",
                p.discount_yen,
                if p.discount_estimate { "・概算" } else { "" }
            ),
        ),
    ]
}

fn suspension_rows(p: &SuspensionPlan) -> Vec<Row> {
    let mut rows = vec![
        row(
            "引落しを止める月",
            format!("{}分から", ja_month(p.effective_month)),
        ),
        row("掛金総額", p.total_paid_yen.to_string()),
    ];
    if let Some(r) = p.required_total_yen {
        rows.push(row("掛止めに必要な掛金総額", r.to_string()));
    }
    if let Some(m) = &p.special_measure {
        rows.push(row("特例措置", m.clone()));
    }
    rows
}

fn deferral_rows(p: &DeferralPlan) -> Vec<Row> {
    vec![
        row(
            "引落しを延長する月",
            format!(
                "{}分から{}分まで",
                ja_month(p.deferred_from),
                ja_month(p.deferred_until)
            ),
        ),
        row("掛金月額", p.monthly_premium_yen.to_string()),
        row(
            "延長した掛金の引落し",
            format!(
                "{}分から{}分まで、毎月の掛金とあわせて1回{}",
                ja_month(p.catch_up_from),
                ja_month(p.caught_up_by),
                p.catch_up_debit_yen
            ),
        ),
        row("特例措置", p.special_measure.clone()),
    ]
}

fn resumption_rows(p: &ResumptionPlan) -> Vec<Row> {
    let mut rows = vec![
        row(
            "掛止めした月",
            format!("{}分から", ja_month(p.suspended_from)),
        ),
        row(
            "引落しを再開する月",
            format!(
                "{}分（{}振替）",
                ja_month(p.resumed_from),
                ja_date(p.first_debit_date)
            ),
        ),
        row("掛金月額", p.monthly_premium_yen.to_string()),
    ];
    if let Some(a) = &p.new_account {
        rows.push(row("新しい引落口座", a.clone()));
    }
    rows
}

struct Page<'a> {
    state: &'a AppState,
    signed: &'a SignedIn,
    number: &'a str,
    kind: Kind,
}

/// Search results and notices shown with the resumption's account fields.
#[derive(Default)]
struct Extras {
    notice: String,
    bank_query: String,
    bank_results: Option<Vec<Hit>>,
    branch_query: String,
    branch_results: Option<Vec<Hit>>,
    branch_message: String,
}

impl Page<'_> {
    fn values_of(&self, form: &FormData) -> BTreeMap<String, String> {
        self.kind
            .fields()
            .iter()
            .filter_map(|n| {
                let v = form.get(n).map(str::trim).unwrap_or("");
                (!v.is_empty()).then(|| ((*n).to_string(), v.to_string()))
            })
            .collect()
    }

    /// The rules of the procedure in plain Japanese, from the rule set (and for the deferral
    /// the special measure) in force today.
    async fn intro(&self, program: Program) -> Result<Vec<String>, AppError> {
        let app = &self.state.app;
        if self.kind == Kind::Deferral {
            return Ok(
                match app
                    .premium_deferral_offer(&self.signed.actor, self.number)
                    .await?
                {
                    Some((measure, description, max)) => vec![
                        format!("{measure}の対象の方は、{description}"),
                        format!(
                            "延長する月数（1〜{max}か月）を入力してください。延長した月の掛金は免除ではなく、延長期間のあとに毎月の掛金とあわせて引き落とします。"
                        ),
                    ],
                    None => vec![
                        "掛金の納付期限の延長は、小規模企業共済の災害の特例措置の対象の方がご利用いただけます。".into(),
                    ],
                },
            );
        }
        let Some(rules) = app.rules.in_force(program, app.clock.today()) else {
            return Ok(Vec::new());
        };
        Ok(match self.kind {
            Kind::Frequency => match rules.small_enterprise.as_ref() {
                Some(se) => vec![
                    "月払・半年払・年払から選べます。半年払は指定納付月とその6か月後に6か月分、年払は指定納付月に12か月分を引き落とします。".into(),
                    format!(
                        "毎月{}日（12月は{}日。休日の場合は前の営業日）までのお申し出は翌月分から、それ以降は翌々月分から変わります。すでにお支払いの半年分・1年分の期間中は、その期間が終わってから変わります。",
                        se.frequency_change.cutoff_day.value,
                        se.frequency_change.december_cutoff_day.value
                    ),
                ],
                None => vec!["経営セーフティ共済の掛金は月払のみです。".into()],
            },
            Kind::Prepayment => {
                let mut t = vec![
                    "これから先の掛金をまとめて前払い（前納）できます。前納した月の引落しはなく、前納の月数に応じて前納減額金をお支払いします。".into(),
                    "前納金は口座振替ではなく、機構の口座へのお振込みです。入金を職員が確認した後に前納として記録し、メールでお知らせします。".into(),
                ];
                if let Some(day) = rules
                    .safety_net
                    .as_ref()
                    .and_then(|s| s.prepayment.application_cutoff_day.as_ref())
                {
                    t.push(format!(
                        "毎月{}日（休日の場合は翌営業日）までに届いたお申し出は、その月分から前納できます。",
                        day.value
                    ));
                }
                t
            }
            Kind::Suspension => match rules.safety_net.as_ref() {
                Some(sn) => vec![format!(
                    "掛金総額が掛金月額の{}倍以上のとき、掛金の払込みを止める（掛止め）ことができます。毎月{}日（休日の場合は翌営業日）までのお申し出はその月から、それ以降は翌月から引落しを止めます。",
                    sn.suspension.min_multiple_of_premium.value, sn.suspension.cutoff_day.value
                )],
                None => vec!["小規模企業共済の掛止めは、災害の特例措置の対象の方のみお申し出いただけます。".into()],
            },
            Kind::Resumption => {
                let mut t = vec!["掛止め中の掛金の払込みを再開します。".into()];
                if let Some(sn) = rules.safety_net.as_ref() {
                    t.push(format!(
                        "{}か月以上掛止めしていた場合は、新しい引落口座の届出が必要です。それ以外は口座欄を空欄のままにすると、ご登録の口座から引き落とします。",
                        sn.suspension.new_account_after_months.value
                    ));
                }
                t
            }
            Kind::Deferral => Vec::new(),
        })
    }

    fn sections(&self, values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Section> {
        match self.kind {
            Kind::Frequency => {
                let months: Vec<(String, String)> = (1..=12)
                    .map(|m| (m.to_string(), format!("{m}月")))
                    .collect();
                vec![Section::new(
                    "払込区分",
                    vec![
                        Field::text("frequency", "払込区分")
                            .kind("radio")
                            .choices([
                                ("monthly", "月払"),
                                ("semi_annual", "半年払"),
                                ("annual", "年払"),
                            ])
                            .fill(values, errors),
                        Field::text("designated_month", "指定納付月（半年払・年払）")
                            .kind("select")
                            .choices(months)
                            .optional()
                            .hint("半年払・年払の方は、引落しの月を選んでください。")
                            .width("w-4")
                            .fill(values, errors),
                    ],
                )]
            }
            Kind::Prepayment => vec![Section::new(
                "前納",
                vec![
                    Field::number("months", "前納する月数")
                        .hint("例：12")
                        .width("w-4")
                        .maxlength(4)
                        .fill(values, errors),
                ],
            )],
            Kind::Deferral => vec![Section::new(
                "納付期限の延長",
                vec![
                    Field::number("months", "延長する月数")
                        .hint("例：3")
                        .width("w-4")
                        .maxlength(2)
                        .fill(values, errors),
                ],
            )],
            Kind::Suspension => Vec::new(),
            Kind::Resumption => account_sections(values, errors, "f-"),
        }
    }

    async fn build(
        &self,
        mode: &'static str,
        values: &BTreeMap<String, String>,
        errors: &[FieldError],
        extras: Extras,
    ) -> Result<PaymentPage, AppError> {
        // Also decides who may see the page (others get the 404 page).
        let billing = self
            .state
            .app
            .contract_billing(&self.signed.actor, self.number)
            .await?;
        let sections = if mode == "form" {
            self.sections(values, errors)
        } else {
            Vec::new()
        };
        let summary = summary(sections.iter().flat_map(|s| s.fields.iter()));
        let (bank_name, branch_name) = bank_picker::chosen_names(values);
        Ok(PaymentPage {
            layout: Layout::user(self.kind.title(mode), &self.signed.user),
            number: billing.contract_number,
            program_name: billing.program.name_ja(),
            path: self.kind.path(),
            help: super::help::help_path(self.kind.procedure()),
            mode,
            intro: self.intro(billing.program).await?,
            notice: extras.notice,
            summary,
            sections,
            rows: Vec::new(),
            hidden: Vec::new(),
            submit_label: match self.kind {
                Kind::Frequency => "この内容で変更する",
                Kind::Prepayment => "前納を申し出る",
                Kind::Suspension => "掛止めする",
                Kind::Resumption => "再開する",
                Kind::Deferral => "納付期限を延長する",
            },
            done_text: String::new(),
            bank_name,
            bank_query: extras.bank_query,
            bank_searched: extras.bank_results.is_some(),
            bank_results: extras.bank_results.unwrap_or_default(),
            branch_name,
            branch_query: extras.branch_query,
            branch_searched: extras.branch_results.is_some(),
            branch_results: extras.branch_results.unwrap_or_default(),
            branch_message: extras.branch_message,
        })
    }

    async fn form(
        &self,
        status: StatusCode,
        values: &BTreeMap<String, String>,
        errors: &[FieldError],
        extras: Extras,
    ) -> Result<Response, AppError> {
        let page = self.build("form", values, errors, extras).await?;
        Ok(render(status, &page))
    }
}

fn frequency_form(v: &BTreeMap<String, String>) -> FrequencyForm {
    FrequencyForm {
        frequency: v.get("frequency").cloned(),
        designated_month: v.get("designated_month").cloned(),
    }
}

fn prepayment_form(v: &BTreeMap<String, String>) -> PrepaymentForm {
    PrepaymentForm {
        months: v.get("months").cloned(),
    }
}

fn deferral_form(v: &BTreeMap<String, String>) -> PremiumDeferralForm {
    PremiumDeferralForm {
        months: v.get("months").cloned(),
    }
}

fn resumption_form(v: &BTreeMap<String, String>) -> ResumptionForm {
    let g = |n: &str| v.get(n).cloned();
    ResumptionForm {
        account: MandateForm {
            bank_code: g("bank_code"),
            branch_code: g("branch_code"),
            account_type: g("account_type"),
            account_number: g("account_number"),
            account_holder_kana: g("account_holder_kana"),
        },
    }
}

/// The status of a filed procedure's answer (a replay cannot happen without a key).
fn fresh<T>(a: Answer<T>) -> Result<T, AppError> {
    match a {
        Answer::New(t) => Ok(t),
        Answer::Replayed { .. } => Err(AppError::Internal("replay without a key".into())),
    }
}

async fn preview(page: &Page<'_>, v: &BTreeMap<String, String>) -> Result<Vec<Row>, AppError> {
    let app = &page.state.app;
    let (actor, n) = (&page.signed.actor, page.number);
    Ok(match page.kind {
        Kind::Frequency => frequency_rows(
            &app.preview_frequency_change(actor, n, &frequency_form(v))
                .await?,
        ),
        Kind::Prepayment => prepayment_rows(
            &app.preview_prepayment(actor, n, &prepayment_form(v))
                .await?,
        ),
        Kind::Suspension => suspension_rows(&app.preview_suspension(actor, n).await?),
        Kind::Deferral => deferral_rows(
            &app.preview_premium_deferral(actor, n, &deferral_form(v))
                .await?,
        ),
        Kind::Resumption => resumption_rows(
            &app.preview_resumption(actor, n, &resumption_form(v))
                .await?,
        ),
    })
}

/// Files the procedure: the rows and the done page's first paragraph.
async fn submit(
    page: &Page<'_>,
    v: &BTreeMap<String, String>,
) -> Result<(Vec<Row>, String), AppError> {
    let app = &page.state.app;
    let (actor, n) = (&page.signed.actor, page.number);
    Ok(match page.kind {
        Kind::Frequency => {
            let r = fresh(
                app.change_frequency(actor, n, &frequency_form(v), None)
                    .await?,
            )?;
            (
                frequency_rows(&r.plan),
                format!(
                    "払込区分の変更が完了しました（受付番号 {}）。確認のメールをお送りしました。",
                    r.application_id
                ),
            )
        }
        Kind::Prepayment => {
            let r = fresh(
                app.apply_prepayment(actor, n, &prepayment_form(v), None)
                    .await?,
            )?;
            (
                prepayment_rows(&r.plan),
                format!(
                    "前納のお申し出を受け付けました（受付番号 {}）。振込先と金額は職員からご案内します。入金を確認した後に前納として記録し、メールでお知らせします。",
                    r.application_id
                ),
            )
        }
        Kind::Suspension => {
            let r = fresh(app.suspend_premiums(actor, n, None).await?)?;
            (
                suspension_rows(&r.plan),
                format!(
                    "掛止めを受け付けました（受付番号 {}）。確認のメールをお送りしました。",
                    r.application_id
                ),
            )
        }
        Kind::Deferral => {
            let r = fresh(
                app.defer_premiums(actor, n, &deferral_form(v), None)
                    .await?,
            )?;
            (
                deferral_rows(&r.plan),
                format!(
                    "掛金の納付期限の延長を受け付けました（受付番号 {}）。確認のメールをお送りしました。",
                    r.application_id
                ),
            )
        }
        Kind::Resumption => {
            let r = fresh(
                app.resume_premiums(actor, n, &resumption_form(v), None)
                    .await?,
            )?;
            let text = if r.status == ApplicationStatus::InReview {
                format!(
                    "再開のお申し出を受け付けました（受付番号 {}、確認中）。口座名義がご登録の名義と異なるため、職員が確認します。",
                    r.application_id
                )
            } else {
                format!(
                    "掛金納付の再開を受け付けました（受付番号 {}）。確認のメールをお送りしました。",
                    r.application_id
                )
            };
            (resumption_rows(&r.plan), text)
        }
    })
}

async fn handle_post(page: &Page<'_>, form: &FormData) -> Result<Response, AppError> {
    let mut values = page.values_of(form);
    let mut extras = Extras::default();
    if page.kind == Kind::Resumption && bank_picker::is_pick(form) {
        extras.notice = bank_picker::apply_pick(form, &mut values).unwrap_or_default();
        return page.form(StatusCode::OK, &values, &[], extras).await;
    }
    match form.get("action").unwrap_or("confirm") {
        "bank_search" if page.kind == Kind::Resumption => {
            let q = form.text("bank_query").trim().to_string();
            extras.bank_results = Some(bank_picker::banks(&q));
            extras.bank_query = q;
            page.form(StatusCode::OK, &values, &[], extras).await
        }
        "branch_search" if page.kind == Kind::Resumption => {
            let q = form.text("branch_query").trim().to_string();
            let (hits, message) = bank_picker::branches(&values, &q);
            extras.branch_results = Some(hits);
            extras.branch_message = message;
            extras.branch_query = q;
            page.form(StatusCode::OK, &values, &[], extras).await
        }
        "edit" => page.form(StatusCode::OK, &values, &[], extras).await,
        "submit" => match submit(page, &values).await {
            Ok((rows, text)) => {
                let mut p = page.build("done", &values, &[], extras).await?;
                p.rows = rows;
                p.done_text = text;
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => {
                page.form(StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, extras)
                    .await
            }
            Err(e) => Err(e),
        },
        _ => match preview(page, &values).await {
            Ok(rows) => {
                let mut p = page.build("confirm", &values, &[], extras).await?;
                p.rows = rows;
                p.hidden = page
                    .kind
                    .fields()
                    .iter()
                    .filter_map(|n| values.get(*n).map(|v| (*n, v.clone())))
                    .collect();
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => {
                page.form(StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, extras)
                    .await
            }
            Err(e) => Err(e),
        },
    }
}

async fn show(state: AppState, signed: SignedIn, number: String, kind: Kind) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
        kind,
    };
    match page
        .form(StatusCode::OK, &BTreeMap::new(), &[], Extras::default())
        .await
    {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn post(
    state: AppState,
    signed: SignedIn,
    number: String,
    kind: Kind,
    form: FormData,
) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
        kind,
    };
    match handle_post(&page, &form).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

macro_rules! kind_routes {
    ($show:ident, $post:ident, $kind:expr) => {
        pub async fn $show(
            State(state): State<AppState>,
            signed: SignedIn,
            Path(number): Path<String>,
        ) -> Response {
            show(state, signed, number, $kind).await
        }

        pub async fn $post(
            State(state): State<AppState>,
            signed: SignedIn,
            Path(number): Path<String>,
            form: FormData,
        ) -> Response {
            post(state, signed, number, $kind, form).await
        }
    };
}

kind_routes!(show_frequency, post_frequency, Kind::Frequency);
kind_routes!(show_prepayment, post_prepayment, Kind::Prepayment);
kind_routes!(show_suspension, post_suspension, Kind::Suspension);
kind_routes!(show_resumption, post_resumption, Kind::Resumption);
kind_routes!(show_deferral, post_deferral, Kind::Deferral);
