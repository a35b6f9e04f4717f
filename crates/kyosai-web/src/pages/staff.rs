//! Staff screens: the review queue and one application with every automatic check, approve /
//! reject with a reason, and correction (maker-checker: whoever corrected an application cannot
//! approve it). The application's version travels in a hidden field, so two staff users acting at
//! once cannot overwrite each other.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::views::{ApplicationDetail, status_text};
use kyosai_app::{AppError, Role};
use kyosai_domain::procedure::CheckStatus;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{ApplicationId, ApplicationStatus, Channel, FieldError, Procedure};
use serde::Deserialize;

use super::FormData;
use super::fields::{
    PremiumRange, Row, STEPS, display_value, enrollment_sections, form_field, form_from_values,
    form_values, label_of, rows, step_fields,
};
use super::view::{Layout, app_error, forbidden_page, ja_time, not_found_page, render, yen};
use crate::AppState;
use crate::form_kit::{Field, Section, SummaryItem, summary};
use crate::session::SignedIn;

/// The 403 page for anyone but staff; None for staff.
pub(super) fn refuse_non_staff(signed: &SignedIn) -> Option<Response> {
    (signed.actor.role != Role::Staff).then(|| forbidden_page(Some(&signed.user)))
}

fn applicant(values: &BTreeMap<String, String>) -> String {
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    format!("{} {}", get("family_name"), get("given_name"))
}

struct QueueItem {
    id: ApplicationId,
    applicant: String,
    program_name: &'static str,
    procedure_name: &'static str,
    received_at: String,
    reasons: Vec<String>,
    edited: bool,
    decision: String,
}

/// One status tab of the staff list.
struct StatusTab {
    key: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "staff_queue.html")]
struct QueuePage {
    layout: Layout,
    in_review: bool,
    tabs: Vec<StatusTab>,
    items: Vec<QueueItem>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
}

/// The statuses staff can list, with their tab labels.
const STATUS_TABS: [(ApplicationStatus, &str); 3] = [
    (ApplicationStatus::InReview, "確認待ち"),
    (ApplicationStatus::Completed, "完了"),
    (ApplicationStatus::Rejected, "お断り"),
];

/// The staff list of applications: those waiting for a decision (the queue), or, with
/// `?status=completed|rejected`, the ones decided lately, so a decision stays findable.
pub async fn queue(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<QueueQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let status = match q.status.as_deref() {
        None | Some("") => ApplicationStatus::InReview,
        Some(s) => match ApplicationStatus::parse(s) {
            Some(st) if STATUS_TABS.iter().any(|(t, _)| *t == st) => st,
            _ => return not_found_page(),
        },
    };
    let apps = match state
        .app
        .applications_with_status(&signed.actor, status)
        .await
    {
        Ok(a) => a,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let items = apps
        .iter()
        .map(|a| QueueItem {
            id: a.id,
            applicant: a
                .enrollment_form()
                .map(|f| applicant(&form_values(&f)))
                .ok()
                .filter(|n| !n.trim().is_empty())
                .or_else(|| a.contract.as_ref().map(|c| c.holder_name.clone()))
                .unwrap_or_default(),
            program_name: a.program.name_ja(),
            procedure_name: a.procedure.name_ja(),
            received_at: ja_time(&a.received_at),
            reasons: a
                .checks()
                .into_iter()
                .filter(|c| c.status == CheckStatus::NeedsReview)
                .map(|c| c.message)
                .collect(),
            edited: a.edited_by.is_some(),
            decision: a.decision_reason.clone().unwrap_or_default(),
        })
        .collect();
    let label = STATUS_TABS
        .iter()
        .find(|(t, _)| *t == status)
        .map(|(_, l)| *l)
        .unwrap_or("");
    render(
        StatusCode::OK,
        &QueuePage {
            layout: Layout::user(format!("審査一覧（{label}の申込）"), &signed.user),
            in_review: status == ApplicationStatus::InReview,
            tabs: STATUS_TABS
                .iter()
                .map(|(t, l)| StatusTab {
                    key: t.as_str(),
                    label: l,
                    current: *t == status,
                })
                .collect(),
            items,
        },
    )
}

struct CorrectionRow {
    label: &'static str,
    before: String,
    after: String,
    by: String,
}

struct CheckRow {
    status: &'static str,
    status_text: &'static str,
    message: String,
}

struct ReviewGroup {
    title: &'static str,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "staff_application.html")]
struct DetailPage {
    layout: Layout,
    id: ApplicationId,
    program_name: &'static str,
    procedure_name: &'static str,
    /// What approving does, in words.
    approve_effect: &'static str,
    /// Only an enrollment's form can be corrected by staff.
    editable: bool,
    /// What staff corrected, field by field, for the approver.
    corrections: Vec<CorrectionRow>,
    status: String,
    status_text: &'static str,
    received_at: String,
    channel: &'static str,
    notice: String,
    summary: Vec<SummaryItem>,
    history: Vec<String>,
    checks: Vec<CheckRow>,
    review: Vec<ReviewGroup>,
    in_review: bool,
    /// The survey's short URL for the completion letter of a paper or agency application.
    survey_url: String,
    /// When the screen was made: the decision records the staff time from here.
    opened_at: String,
    version: i64,
    self_edited: bool,
    approve_error: String,
    approve_reason: Field,
    reject_reason: Field,
    edit_open: bool,
    edit_sections: Vec<Section>,
    /// Uploaded documents filed with the application (downloaded, never shown inline).
    evidence: Vec<EvidenceLink>,
    /// 共済金貸付 in review: the amount a staff user proposes (maker), before another approves.
    proposal_form: Option<Field>,
    /// The proposal on file, in words.
    proposal_on_file: String,
}

struct EvidenceLink {
    href: String,
    label: String,
}

/// What went wrong in one of the three forms, to show it next to that form.
#[derive(Default)]
struct Problems {
    approve: String,
    approve_reason: String,
    reject_reason: String,
    reject_value: String,
    /// Field errors of the correction form, with the values the staff user sent.
    edit: Option<(BTreeMap<String, String>, Vec<FieldError>)>,
    /// The 共済金貸付 amount proposal refused: why, and the amount typed.
    proposal: String,
    proposal_value: String,
}

async fn detail_page(
    state: &AppState,
    signed: &SignedIn,
    id: ApplicationId,
    notice: String,
    problems: Problems,
) -> Result<DetailPage, AppError> {
    let a = state.app.application(&signed.actor, id).await?;
    let program = a.program;
    let stored = form_values(&a.enrollment_form()?);
    let (text, _) = status_text(a.status);
    let mut history = Vec::new();
    if let Some(editor) = a.edited_by {
        history.push(format!(
            "修正：{} が申込内容を修正しました。",
            state.app.user_label(editor).await?
        ));
    }
    if let Some(decider) = a.decided_by {
        let verb = if a.status == ApplicationStatus::Rejected {
            "お断りしました"
        } else {
            "承認しました"
        };
        let reason = a
            .decision_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| format!("（理由：{r}）"))
            .unwrap_or_default();
        history.push(format!(
            "判断：{} が{verb}{reason}。",
            state.app.user_label(decider).await?
        ));
    }
    let checks = a
        .checks()
        .into_iter()
        .map(|c| {
            let (status, status_text) = match c.status {
                CheckStatus::Passed => ("completed", "合格"),
                CheckStatus::NeedsReview => ("in_review", "要確認"),
                CheckStatus::Failed => ("rejected", "不可"),
            };
            CheckRow {
                status,
                status_text,
                message: c.message,
            }
        })
        .collect();
    let procedure = a.procedure;
    let review: Vec<ReviewGroup> = match procedure {
        Procedure::Enrollment => {
            let mut groups: Vec<ReviewGroup> = (1..=5u8)
                .map(|s| ReviewGroup {
                    title: STEPS[usize::from(s - 1)].0,
                    rows: rows(program, s, &stored),
                })
                .collect();
            if let Some(g) = groups.get_mut(3) {
                g.rows.push(holder_row(&stored));
            }
            groups
        }
        Procedure::MandateChange => {
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.extend(MANDATE_FIELDS.iter().map(|n| Row {
                label: label_of(n).to_string(),
                value: display_value(n, &stored),
            }));
            rows.push(holder_row(&stored));
            vec![ReviewGroup {
                title: "新しい引落口座",
                rows,
            }]
        }
        Procedure::Cancellation => {
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.push(Row {
                label: "申込時のお支払い予定額".into(),
                value: display_value("refund_yen", &stored),
            });
            vec![ReviewGroup {
                title: "任意解約",
                rows,
            }]
        }
        Procedure::FrequencyChange
        | Procedure::Prepayment
        | Procedure::Suspension
        | Procedure::Resumption
        | Procedure::LoanEarlyRepayment
        | Procedure::MemberLoan
        | Procedure::PremiumDeferral => {
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            if let serde_json::Value::Object(map) = a.form_json() {
                for (k, v) in map {
                    let Some(raw) = v.as_str() else { continue };
                    rows.push(payment_row(procedure, &k, raw, &stored));
                }
            }
            vec![ReviewGroup {
                title: "申出の内容",
                rows,
            }]
        }
        Procedure::DetailsChange => {
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            let none = |v: String| {
                if v.is_empty() {
                    "（なし）".to_string()
                } else {
                    v
                }
            };
            for f in state.app.details_change_fields(&signed.actor, id).await? {
                rows.push(Row {
                    label: f.label,
                    value: format!("{} → {}", none(f.before), none(f.after)),
                });
            }
            vec![ReviewGroup {
                title: "変更する登録内容（変更前 → 変更後）",
                rows,
            }]
        }
        Procedure::PremiumChange => {
            let form = a.form_json();
            let text = |k: &str| match &form[k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.push(Row {
                label: "新しい掛金月額（円）".into(),
                value: text("monthly_premium_yen"),
            });
            rows.push(Row {
                label: "減額の理由".into(),
                value: kyosai_domain::safety_net::premium_change::DecreaseReason::parse(&text(
                    "decrease_reason",
                ))
                .map_or_else(|| "（なし）".to_string(), |r| r.name_ja().to_string()),
            });
            vec![ReviewGroup {
                title: "掛金月額の変更",
                rows,
            }]
        }
        Procedure::TemporaryLoan => {
            let form = a.form_json();
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.push(Row {
                label: "借入額（円）".into(),
                value: form["amount_yen"].to_string(),
            });
            vec![ReviewGroup {
                title: "一時貸付金の借入れ",
                rows,
            }]
        }
        Procedure::BankruptcyLoan => {
            let form = a.form_json();
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.push(Row {
                label: "倒産の事態".into(),
                value: kyosai_domain::loan::BankruptcyEvent::parse(&text(&form["event"]))
                    .map_or_else(String::new, |e| e.name_ja().to_string()),
            });
            for (label, key) in [
                ("倒産日", "bankruptcy_date"),
                ("取引先の名称", "partner_name"),
                ("回収困難となった売掛金債権等の額（円）", "loss_yen"),
                ("月間の総取引額（円）", "monthly_transactions_yen"),
            ] {
                rows.push(Row {
                    label: label.into(),
                    value: text(&form[key]),
                });
            }
            vec![ReviewGroup {
                title: "共済金貸付の請求",
                rows,
            }]
        }
        Procedure::BenefitClaim => {
            let form = a.form_json();
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let mut rows: Vec<Row> = contract_row(&a).into_iter().collect();
            rows.push(Row {
                label: "請求事由".into(),
                value: kyosai_domain::small_enterprise::claim::ClaimEvent::parse(&text(
                    &form["event"],
                ))
                .map_or_else(String::new, |e| e.name_ja().to_string()),
            });
            rows.push(Row {
                label: "請求事由が生じた日".into(),
                value: text(&form["event_date"]),
            });
            rows.push(Row {
                label: "受取方法".into(),
                value: format!(
                    "{} {}",
                    text(&form["payout"]["form"]),
                    text(&form["payout"]["years"])
                ),
            });
            if let Some(c) = form["claimant"].as_object() {
                rows.push(Row {
                    label: "請求者（ご遺族）".into(),
                    value: format!(
                        "{}（{}）",
                        text(&c["name"]),
                        kyosai_app::claims::Relation::parse(&text(&c["relation"]))
                            .map_or("", |r| r.name_ja())
                    ),
                });
            }
            vec![ReviewGroup {
                title: "共済金等の請求",
                rows,
            }]
        }
    };
    let evidence = state
        .app
        .application_evidence(&signed.actor, id)
        .await?
        .into_iter()
        .map(|e| EvidenceLink {
            href: format!("/evidence/{}", e.token),
            label: format!(
                "{}（{}、{}KB、SHA-256 {}）",
                e.file_name,
                e.content_type,
                (e.size_bytes + 1023) / 1024,
                e.sha256
            ),
        })
        .collect();
    let mut corrections = Vec::new();
    for c in state.app.application_corrections(&signed.actor, id).await? {
        let by = match c.actor.strip_prefix("user:").and_then(|n| n.parse().ok()) {
            Some(user) => state.app.user_label(user).await?,
            None => c.actor.clone(),
        };
        corrections.push(CorrectionRow {
            label: label_of(&c.field),
            before: c.before,
            after: c.after,
            by,
        });
    }
    let rules = state.app.rules_for(program)?;
    let premium = PremiumRange::of(&rules);
    let (proposal_form, proposal_on_file) =
        if procedure == Procedure::BankruptcyLoan && a.status == ApplicationStatus::InReview {
            let on_file = match state
                .app
                .bankruptcy_loan_proposal(&signed.actor, id)
                .await?
            {
                Some(p) => format!(
                    "起案済み：{}（{}、{}）{}",
                    yen(p.amount.get()),
                    state.app.user_label(p.proposed_by).await?,
                    ja_time(&p.proposed_at),
                    if p.note.is_empty() {
                        String::new()
                    } else {
                        format!("　メモ：{}", p.note)
                    }
                ),
                None => "まだ起案されていません。".to_string(),
            };
            (
                Some(
                    Field::number("amount_yen", "貸付額（円）")
                        .hint("上限の範囲内で、規則の単位で入力します。")
                        .value(problems.proposal_value.clone())
                        .error(problems.proposal.clone()),
                ),
                on_file,
            )
        } else {
            (None, String::new())
        };
    let edit_open = problems.edit.is_some();
    let (edit_values, edit_errors) = problems.edit.unwrap_or((stored, Vec::new()));
    let edit_sections: Vec<Section> = (1..=5u8)
        .flat_map(|s| enrollment_sections(program, s, &edit_values, &edit_errors, &premium, "e-"))
        .collect();
    let approve_reason = Field::text("reason", "承認の理由（確認した内容）")
        .kind("textarea")
        .id_prefix("a-")
        .maxlength(1000)
        .hint("必須。監査記録に残ります。")
        .error(problems.approve_reason);
    let reject_reason = Field::text("reason", "お断りする理由")
        .kind("textarea")
        .id_prefix("r-")
        .maxlength(1000)
        .value(problems.reject_value)
        .error(problems.reject_reason);
    let mut summary_fields: Vec<&Field> = vec![&approve_reason, &reject_reason];
    summary_fields.extend(edit_sections.iter().flat_map(|s| s.fields.iter()));
    let mut summary = summary(summary_fields);
    if !problems.approve.is_empty() {
        summary.insert(
            0,
            SummaryItem {
                href: "#approve-error".into(),
                message: problems.approve.clone(),
            },
        );
    }
    for e in &edit_errors {
        let name = form_field(&e.field);
        if !(1..=5).any(|s| step_fields(s).contains(&name)) {
            summary.push(SummaryItem {
                href: String::new(),
                message: e.message.clone(),
            });
        }
    }
    let survey_url = if a.status == ApplicationStatus::Completed && a.channel != Channel::Online {
        format!(
            "{}/s/{}",
            state.app.public_url,
            state.app.survey_code(&signed.actor, a.id).await?
        )
    } else {
        String::new()
    };
    Ok(DetailPage {
        survey_url,
        opened_at: state.app.clock.now().to_string(),
        layout: Layout::user(format!("申込の審査（受付番号 {id}）"), &signed.user),
        id,
        program_name: program.name_ja(),
        procedure_name: procedure.name_ja(),
        approve_effect: match procedure {
            Procedure::Enrollment => {
                "承認すると、その場で契約が作成され、申込者にメールでお知らせします。"
            }
            Procedure::MandateChange => {
                "承認すると、その場で新しい口座が登録され（以後の引落しに使います）、申込者にメールでお知らせします。"
            }
            Procedure::Cancellation => {
                "承認すると、その場で契約が解約され、解約手当金が承認時の計算で支払予定として記録され、申込者にメールでお知らせします。"
            }
            Procedure::FrequencyChange => {
                "承認すると、その場で払込区分が変更され、申込者にメールでお知らせします。"
            }
            Procedure::Prepayment => {
                "前納金の入金を確認してから承認してください。承認すると前納として記録され（その月は引落しません）、申込者にメールでお知らせします。"
            }
            Procedure::Suspension => {
                "承認すると、その場で掛止めが記録され（以後の引落しを止めます）、申込者にメールでお知らせします。"
            }
            Procedure::Resumption => {
                "承認すると、その場で掛金の請求が再開され、申込者にメールでお知らせします。"
            }
            Procedure::PremiumDeferral => {
                "承認すると、その場で納付期限の延長が記録され（延長した月は引き落とさず、そのあと毎月の掛金とあわせて引き落とします）、申込者にメールでお知らせします。"
            }
            Procedure::DetailsChange => {
                "承認すると、その場で登録内容が変更され、申込者にメールでお知らせします。"
            }
            Procedure::PremiumChange => {
                "承認すると、その場で掛金月額が変更され（承認日から見た最初の引落しから新しい金額です）、申込者にメールでお知らせします。"
            }
            Procedure::TemporaryLoan => {
                "承認すると、その場で貸付けが決定され（返済予定表を作成し、送金を予定します）、申込者にメールでお知らせします。"
            }
            Procedure::LoanEarlyRepayment => {
                "承認すると、次回の引落しで残りの返済額を一括して請求するよう記録され、申込者にメールでお知らせします。"
            }
            Procedure::MemberLoan => {
                "確認書類（商工会等の確認書、診断書など）を確かめてから承認してください。承認すると、その場で貸付けが決定され（返済予定表を作成し、前払いの利息を差し引いた額の送金を予定します）、申込者にメールでお知らせします。"
            }
            Procedure::BankruptcyLoan => {
                "添付書類を確認し、下の「貸付額の起案」で貸付額を起案してください。承認は起案者と別の職員が行い、その場で貸付けが決定され（返済予定表の作成、掛金総額の減額の記帳、送金の予定）、『共済金貸付決定通知書』をお送りします。"
            }
            Procedure::BenefitClaim => {
                "承認すると、その場で支払額が決定され（契約は終了し、送金を予定します）、請求者にメールでお知らせします。自動決定の上限を超える請求は、2人目の職員の承認で決定します。"
            }
        },
        editable: procedure == Procedure::Enrollment,
        corrections,
        status: a.status.as_str().to_string(),
        status_text: text,
        received_at: ja_time(&a.received_at),
        channel: match a.channel.as_str() {
            "online" => "オンライン",
            "agency" => "委託機関",
            "paper" => "紙",
            _ => "その他",
        },
        notice,
        summary,
        history,
        checks,
        review,
        in_review: a.status == ApplicationStatus::InReview,
        version: a.version,
        self_edited: a.edited_by == Some(signed.user.id),
        approve_error: problems.approve,
        approve_reason,
        reject_reason,
        edit_open,
        edit_sections,
        evidence,
        proposal_form,
        proposal_on_file,
    })
}

#[derive(Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    done: Option<String>,
}

fn parse_id(id: &str) -> Option<ApplicationId> {
    id.parse::<ApplicationId>().ok().filter(|id| id.get() > 0)
}

pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page();
    };
    let notice = match q.done.as_deref() {
        Some("approved") => "承認しました。手続きを完了し、申込者にメールでお知らせしました。",
        Some("rejected") => "お断りしました。申込者にメールでお知らせしました。",
        Some("edited") => "修正を保存し、自動チェックをやり直しました。承認は別の職員が行います。",
        Some("proposed") => "貸付額を起案しました。承認は別の職員が行います。",
        _ => "",
    };
    respond(
        &state,
        &signed,
        id,
        StatusCode::OK,
        notice.into(),
        Problems::default(),
    )
    .await
}

async fn respond(
    state: &AppState,
    signed: &SignedIn,
    id: ApplicationId,
    status: StatusCode,
    notice: String,
    problems: Problems,
) -> Response {
    match detail_page(state, signed, id, notice, problems).await {
        Ok(page) => render(status, &page),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

fn version_of(form: &FormData) -> Option<i64> {
    form.get("version").and_then(|v| v.trim().parse().ok())
}

/// What every decision form needs: a staff user, an application id and the version that was read.
fn decision_target(
    signed: &SignedIn,
    id: &str,
    form: &FormData,
) -> Result<(ApplicationId, i64), Box<Response>> {
    if let Some(r) = refuse_non_staff(signed) {
        return Err(Box::new(r));
    }
    let id = parse_id(id).ok_or_else(|| Box::new(not_found_page()))?;
    let version = version_of(form).ok_or_else(|| Box::new(stale_version(signed)))?;
    Ok((id, version))
}

/// Field messages joined for one message area.
fn messages(errors: Vec<FieldError>) -> String {
    errors
        .into_iter()
        .map(|e| e.message)
        .collect::<Vec<_>>()
        .join(" ")
}

fn stale_version(signed: &SignedIn) -> Response {
    super::view::message(
        StatusCode::BAD_REQUEST,
        Layout::user("送信内容が正しくありません", &signed.user),
        "画面を開き直してから、もう一度操作してください。",
        &[("/staff", "審査一覧へ")],
    )
}

/// The staff minutes of a decision (the scorecard's cost measure). The decision is taken
/// already; a failure to record its time is logged, not shown.
async fn record_review_time(
    state: &AppState,
    signed: &SignedIn,
    id: ApplicationId,
    form: &FormData,
) {
    if let Err(e) = state
        .app
        .record_review_time(&signed.actor, id, &form.text("opened_at"))
        .await
    {
        tracing::warn!(application = id.get(), error = %e, "review time not recorded");
    }
}

/// Redirect after a decision, or the page again with the problem next to the form.
async fn after(
    state: &AppState,
    signed: &SignedIn,
    id: ApplicationId,
    result: Result<(), AppError>,
    done: &str,
    on_invalid: impl FnOnce(Vec<FieldError>) -> Problems,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/staff/applications/{id}?done={done}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            respond(
                state,
                signed,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                on_invalid(errors),
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            respond(
                state,
                signed,
                id,
                StatusCode::CONFLICT,
                String::new(),
                Problems {
                    approve: message,
                    ..Problems::default()
                },
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let (id, version) = match decision_target(&signed, &id, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let reason = form.text("reason");
    let result = state
        .app
        .approve(&signed.actor, id, version, reason.trim())
        .await;
    if result.is_ok() {
        record_review_time(&state, &signed, id, &form).await;
    }
    after(&state, &signed, id, result, "approved", |errors| Problems {
        approve_reason: messages(errors),
        ..Problems::default()
    })
    .await
}

pub async fn reject(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let (id, version) = match decision_target(&signed, &id, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let reason = form.text("reason");
    let result = state.app.reject(&signed.actor, id, version, &reason).await;
    if result.is_ok() {
        record_review_time(&state, &signed, id, &form).await;
    }
    after(&state, &signed, id, result, "rejected", |errors| Problems {
        reject_reason: messages(errors),
        reject_value: reason.clone(),
        ..Problems::default()
    })
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let (id, version) = match decision_target(&signed, &id, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let a = match state.app.application(&signed.actor, id).await {
        Ok(a) => a,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let mut values = BTreeMap::new();
    values.insert("program".to_string(), a.program.as_str().to_string());
    for name in (1..=5).flat_map(step_fields) {
        if let Some(v) = form.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            values.insert((*name).to_string(), v.to_string());
        }
    }
    let edited = form_from_values(&values);
    let result = state
        .app
        .edit_application(&signed.actor, id, version, &edited)
        .await;
    after(&state, &signed, id, result, "edited", move |errors| {
        Problems {
            edit: Some((values, errors)),
            ..Problems::default()
        }
    })
    .await
}

/// The fields of a debit account change, in the order the member filled them in.
const MANDATE_FIELDS: [&str; 5] = [
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
];

/// The holder as the bank will receive it (Zengin kana).
/// A row of a payment procedure's form (frequency change, 前納, 掛止め, resumption).
fn payment_row(
    procedure: Procedure,
    name: &str,
    raw: &str,
    values: &BTreeMap<String, String>,
) -> Row {
    let (label, value) = match name {
        "frequency" => (
            "払込区分",
            PaymentFrequency::parse(raw).map_or(raw.to_string(), |f| f.name_ja().to_string()),
        ),
        "designated_month" => ("指定納付月", format!("{raw}月")),
        "months" if procedure == Procedure::PremiumDeferral => {
            ("延長する月数", format!("{raw}か月"))
        }
        "months" => ("前納する月数", format!("{raw}か月")),
        // 契約者貸付 and 繰上返済.
        "kind" => (
            "貸付けの種類",
            kyosai_domain::loan::LoanKind::parse(&format!("member_{raw}"))
                .map_or(raw.to_string(), |k| k.name_ja().to_string()),
        ),
        "amount_yen" => (
            "借入額",
            raw.parse::<i64>()
                .map_or(raw.to_string(), |y| kyosai_domain::Yen::new(y).to_string()),
        ),
        "term_months" => ("返済期間", format!("{raw}か月")),
        "sales_decline_percent" => ("売上げの減少率", format!("{raw}％")),
        "hospital_days" => ("入院日数", format!("{raw}日")),
        "loan_id" => ("繰上返済する貸付け（貸付番号）", raw.to_string()),
        _ => (label_of(name), display_value(name, values)),
    };
    Row {
        label: label.into(),
        value,
    }
}

fn holder_row(values: &BTreeMap<String, String>) -> Row {
    let holder = values
        .get("account_holder_kana")
        .map(String::as_str)
        .unwrap_or("");
    Row {
        label: "口座名義（全銀カナ）".into(),
        value: kyosai_zengin::to_zengin_kana(holder).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "staff_search.html")]
struct SearchPage {
    layout: Layout,
    query: Field,
    searched: bool,
    hits: Vec<kyosai_app::views::ContractHit>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

/// Staff search for contracts and members (by number, name or e-mail).
pub async fn search(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<SearchQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let text = q.q.unwrap_or_default();
    let field = Field::text("q", "契約者番号・氏名・事業所名・メールアドレス")
        .value(text.clone())
        .maxlength(100)
        .hint("番号は9桁すべて、名前やメールアドレスは一部でも探せます。");
    if text.trim().is_empty() {
        return render(
            StatusCode::OK,
            &SearchPage {
                layout: Layout::user("契約・会員の検索", &signed.user),
                query: field,
                searched: false,
                hits: Vec::new(),
            },
        );
    }
    match state.app.search_contracts(&signed.actor, &text).await {
        Ok(hits) => render(
            StatusCode::OK,
            &SearchPage {
                layout: Layout::user("契約・会員の検索", &signed.user),
                query: field,
                searched: true,
                hits,
            },
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SearchPage {
                layout: Layout::user("契約・会員の検索", &signed.user),
                query: field.error(messages(errors)),
                searched: false,
                hits: Vec::new(),
            },
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// The contract a maintenance application is about, as the first row of its review group.
fn contract_row(a: &ApplicationDetail) -> Option<Row> {
    a.contract.as_ref().map(|c| Row {
        label: "共済契約者番号・契約者".into(),
        value: format!("{} {}", c.number, c.holder_name),
    })
}

/// The 共済金貸付 amount a staff user proposes (the maker); another staff user approves it.
pub async fn propose_loan(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page();
    };
    let typed = form.text("amount_yen");
    let result = match kyosai_domain::input::parse_yen(&typed) {
        Ok(amount) => state
            .app
            .propose_bankruptcy_loan(
                &signed.actor,
                id,
                kyosai_domain::Yen::new(amount),
                &form.text("note"),
            )
            .await
            .map(|_| ()),
        Err(e) => Err(AppError::Invalid(vec![
            e.field_error("amount_yen", "貸付額"),
        ])),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/staff/applications/{id}?done=proposed")).into_response(),
        Err(AppError::Invalid(errors)) => {
            respond(
                &state,
                &signed,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                Problems {
                    proposal: messages(errors),
                    proposal_value: typed,
                    ..Problems::default()
                },
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            respond(
                &state,
                &signed,
                id,
                StatusCode::CONFLICT,
                String::new(),
                Problems {
                    proposal: message,
                    proposal_value: typed,
                    ..Problems::default()
                },
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
