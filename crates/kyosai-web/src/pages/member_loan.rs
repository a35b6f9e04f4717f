//! The 契約者貸付 request, `/portal/contracts/{number}/member-loan` (小規模企業共済, REFERENCE
//! §4): the limit in force and each kind's amounts, terms and rate from the rule set
//! (`App::member_loan_offer`); the kind, amount, term and the kind's condition; a confirmation
//! with the transfer, the interest paid in advance and the repayment schedule
//! (`App::quote_member_loan`, nothing stored); and the done page (`App::request_member_loan`).
//! A member a disaster special measure applies to may also choose its 特例災害時貸付け, on the
//! measure's terms; its evidence (被災証明書 …) is attached on the confirmation step, so the forms
//! post as multipart.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::member_loan::{
    DisasterLoanOffer, MemberLoanForm, MemberLoanOffer, MemberLoanQuote,
};
use kyosai_domain::rules::small_enterprise::MemberLoanKind;
use kyosai_domain::{ApplicationStatus, FieldError};

use super::FormData;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::session::SignedIn;
use crate::upload;

struct KindRow {
    value: &'static str,
    label: &'static str,
    detail: String,
    checked: bool,
}

struct Row {
    due: String,
    principal: String,
    interest: String,
    total: String,
}

struct DisasterText {
    measure: String,
    description: String,
    evidence: String,
    limit: String,
}

struct QuoteText {
    kind: &'static str,
    amount: String,
    rate: String,
    term: String,
    disbursement: String,
    advance: String,
    transfer: String,
    schedule: Vec<Row>,
    in_review: bool,
    estimate: bool,
}

#[derive(Template)]
#[template(path = "member_loan.html")]
struct LoanPage {
    layout: Layout,
    number: String,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    limit: String,
    /// 「（4月・10月に見直し）」, from the rule set.
    recalculation: String,
    /// A disaster special measure's loan offered to the member.
    disaster: Option<DisasterText>,
    /// On the confirmation of a 特例災害時貸付け: the documents to attach (else empty).
    evidence_label: String,
    kinds: Vec<KindRow>,
    amount: String,
    term: String,
    decline: String,
    days: String,
    errors: Vec<(String, String)>,
    quote: Option<QuoteText>,
    in_review: bool,
    application_id: String,
}

impl LoanPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn kind_value(k: kyosai_domain::rules::small_enterprise::MemberLoanKind) -> &'static str {
    kyosai_domain::loan::LoanKind::Member(k)
        .as_str()
        .trim_start_matches("member_")
}

fn disaster_text(d: &DisasterLoanOffer) -> DisasterText {
    DisasterText {
        measure: d.measure.clone(),
        description: d.description.clone(),
        evidence: d.evidence.clone(),
        limit: yen(d.limit.get()),
    }
}

fn kinds(offer: &MemberLoanOffer, chosen: &str) -> Vec<KindRow> {
    offer
        .kinds
        .iter()
        .map(|k| {
            let detail = match (k.min, k.max, k.rate) {
                (Some(min), Some(max), Some(rate)) => format!(
                    "{}〜{}、年{}、返済期間 {}",
                    yen(min.get()),
                    yen(max.get()),
                    rate,
                    k.terms
                        .iter()
                        .map(|(up, months)| {
                            let m = months
                                .iter()
                                .map(|m| format!("{m}か月"))
                                .collect::<Vec<_>>()
                                .join("・");
                            match up {
                                Some(up) => format!("{}まで{m}", yen(up.get())),
                                None => format!("それを超えると{m}"),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                _ => "条件が未登録のため、オンラインではお申し込みいただけません。".into(),
            };
            let detail = match (&offer.disaster_loan, k.kind) {
                (Some(d), MemberLoanKind::DisasterSpecial) => format!(
                    "{detail}（据置期間{}か月を含む）。{}の添付が必要です。",
                    d.grace_months, d.evidence
                ),
                _ => detail,
            };
            KindRow {
                value: kind_value(k.kind),
                label: k.kind.name_ja(),
                detail,
                checked: kind_value(k.kind) == chosen,
            }
        })
        .collect()
}

fn quote_text(q: &MemberLoanQuote) -> QuoteText {
    QuoteText {
        kind: q.kind.name_ja(),
        amount: yen(q.amount.get()),
        rate: q.rate.to_string(),
        term: format!("{}か月", q.term_months),
        disbursement: ja_date(q.disbursement_date),
        advance: yen(q.schedule.interest_in_advance.get()),
        transfer: yen(q.schedule.transfer.get()),
        schedule: q
            .schedule
            .instalments
            .iter()
            .map(|i| Row {
                due: ja_date(i.due_date),
                principal: yen(i.principal_yen.get()),
                interest: yen(i.interest_yen.get()),
                total: yen(i.total().get()),
            })
            .collect(),
        in_review: q.in_review,
        estimate: q.estimate,
    }
}

fn form_of(data: &FormData) -> MemberLoanForm {
    let opt = |name: &str| Some(data.text(name).trim().to_string()).filter(|s| !s.is_empty());
    MemberLoanForm {
        kind: opt("kind"),
        amount_yen: opt("amount_yen"),
        term_months: opt("term_months"),
        sales_decline_percent: opt("sales_decline_percent"),
        hospital_days: opt("hospital_days"),
        evidence: Vec::new(),
    }
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    mode: &'static str,
    data: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<LoanPage, AppError> {
    let offer = state.app.member_loan_offer(&signed.actor, number).await?;
    let text = |n: &str| data.map_or_else(String::new, |d| d.text(n));
    Ok(LoanPage {
        layout: Layout::user(
            match mode {
                "confirm" => "契約者貸付の借入れの確認",
                "done" => "契約者貸付の借入れ",
                _ => "契約者貸付を申し込む",
            },
            &signed.user,
        ),
        number: number.to_string(),
        mode,
        limit: yen(offer.limit.get()),
        recalculation: super::loans::months_ja(&offer.recalculation_months),
        disaster: offer.disaster_loan.as_ref().map(disaster_text),
        evidence_label: String::new(),
        kinds: kinds(&offer, &text("kind")),
        amount: text("amount_yen"),
        term: text("term_months"),
        decline: text("sales_decline_percent"),
        days: text("hospital_days"),
        errors: errors.into_iter().map(|e| (e.field, e.message)).collect(),
        quote: None,
        in_review: false,
        application_id: String::new(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match page(&state, &signed, &number, "form", None, Vec::new()).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Response {
    match handle_post(&state, &signed, &number, multipart).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let app = &state.app;
    let (data, file) = match upload::read(multipart, app.evidence.max_bytes).await {
        Ok(parts) => (FormData(parts.fields), parts.file),
        Err(AppError::Invalid(errors)) => {
            let p = page(state, signed, number, "form", None, errors).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
        }
        Err(e) => return Err(e),
    };
    let data = &data;
    let mut form = form_of(data);
    let refused = |errors: Vec<FieldError>| async move {
        let p = page(state, signed, number, "form", Some(data), errors).await?;
        Ok::<_, AppError>(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
    };
    let quote = match app.quote_member_loan(&signed.actor, number, &form).await {
        Ok(q) => q,
        Err(AppError::Invalid(errors)) => return refused(errors).await,
        Err(e) => return Err(e),
    };
    // The confirmation, again with `errors` at the evidence when its file was refused.
    let confirm = |errors: Vec<FieldError>| {
        let quote = &quote;
        async move {
            let mut p = page(state, signed, number, "confirm", Some(data), errors).await?;
            if quote.kind == MemberLoanKind::DisasterSpecial {
                p.evidence_label = p
                    .disaster
                    .as_ref()
                    .map_or_else(String::new, |d| d.evidence.clone());
            }
            p.quote = Some(quote_text(quote));
            let status = if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok::<_, AppError>(render(status, &p))
        }
    };
    match data.get("action").unwrap_or("confirm") {
        "edit" => Ok(render(
            StatusCode::OK,
            &page(state, signed, number, "form", Some(data), Vec::new()).await?,
        )),
        "submit" => {
            if let Some(file) = file {
                match app
                    .upload_evidence(&signed.actor, number, &file.file_name, &file.bytes)
                    .await
                {
                    Ok(e) => form.evidence.push(e.token),
                    Err(AppError::Invalid(errors)) => return confirm(errors).await,
                    Err(e) => return Err(e),
                }
            }
            match app
                .request_member_loan(&signed.actor, number, &form, None)
                .await
            {
                Ok(answer) => {
                    let done = answer.fresh()?;
                    let mut p = page(state, signed, number, "done", Some(data), Vec::new()).await?;
                    p.in_review = done.status == ApplicationStatus::InReview;
                    p.application_id = done.application_id.to_string();
                    p.quote = Some(quote_text(&quote));
                    Ok(render(StatusCode::OK, &p))
                }
                Err(AppError::Invalid(errors)) if errors.iter().any(|e| e.field == "evidence") => {
                    confirm(errors).await
                }
                Err(AppError::Invalid(errors)) => refused(errors).await,
                Err(e) => Err(e),
            }
        }
        _ => confirm(Vec::new()).await,
    }
}
