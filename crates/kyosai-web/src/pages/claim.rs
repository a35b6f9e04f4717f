//! The benefit claim (共済金等の請求, 小規模企業共済), `/portal/contracts/{number}/claim`, issue #11
//! item 1: the event and its date (and, after a death, the bereaved claimant); then what the
//! claim would give (`App::claim_preview`: the kind with its explanation, gross, deductions, net,
//! 概算 when an estimate, and each payout form the claimant qualifies for with its payments) with
//! the evidence upload; then the done page (`App::submit_claim`: decided, or waiting for staff).
//! Every figure comes from the app's answers; the form posts as multipart for the evidence file.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::claims::{
    ClaimForm, ClaimPayoutForm, ClaimPreview, ClaimantForm, PaymentLine, Relation,
};
use kyosai_domain::small_enterprise::claim::ClaimEvent;
use kyosai_domain::{ApplicationStatus, FieldError};

use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::form_kit::{Field, Section, SummaryItem, summary};
use crate::session::SignedIn;
use crate::upload;

/// The first step's fields (carried as hidden fields through the later steps).
const EVENT_FIELDS: [&str; 13] = [
    "event",
    "event_date",
    "relation",
    "claimant_name",
    "claimant_kana",
    "claimant_birth_date",
    "claimant_address",
    "claimant_phone",
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
];

/// A payout form the claimant may choose, in words.
struct OptionRow {
    value: String,
    label: String,
    detail: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "claim.html")]
struct ClaimPage {
    layout: Layout,
    number: String,
    /// `event`, `preview` or `done`.
    mode: &'static str,
    summary: Vec<SummaryItem>,
    sections: Vec<Section>,
    /// Hidden fields carrying the first step into the next.
    carried: Vec<(&'static str, String)>,
    kind: String,
    explanation: String,
    gross: String,
    deductions: Vec<(String, String)>,
    net: String,
    estimate: bool,
    review_reasons: Vec<String>,
    options: Vec<OptionRow>,
    option_error: String,
    evidence_error: String,
    /// Other refusals of the claim as a whole.
    general_errors: Vec<String>,
    /// Done.
    in_review: bool,
    application_id: String,
    payments: Vec<(String, String)>,
}

impl ClaimPage {
    fn new(signed: &SignedIn, number: &str, mode: &'static str) -> ClaimPage {
        let title = match mode {
            "preview" => "請求内容の確認",
            "done" => "共済金等の請求を受け付けました",
            _ => "共済金等を請求する",
        };
        ClaimPage {
            layout: Layout::user(title, &signed.user),
            number: number.to_string(),
            mode,
            summary: Vec::new(),
            sections: Vec::new(),
            carried: Vec::new(),
            kind: String::new(),
            explanation: String::new(),
            gross: String::new(),
            deductions: Vec::new(),
            net: String::new(),
            estimate: false,
            review_reasons: Vec::new(),
            options: Vec::new(),
            option_error: String::new(),
            evidence_error: String::new(),
            general_errors: Vec::new(),
            in_review: false,
            application_id: String::new(),
            payments: Vec::new(),
        }
    }
}

fn sections(values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Section> {
    vec![
        Section::new(
            "請求の理由",
            vec![
                Field::text("event", "請求の理由（請求事由）")
                    .kind("radio")
                    .choices(ClaimEvent::ALL.iter().map(|e| (e.as_str(), e.name_ja())))
                    .fill(values, errors),
                Field::date("event_date", "その日付（廃業日・退任日・死亡日など）")
                    .hint("例：2026-10-31")
                    .fill(values, errors),
            ],
        ),
        Section::new(
            "ご遺族が請求する場合（契約者が亡くなったとき）",
            vec![
                Field::text("relation", "契約者との続柄")
                    .kind("select")
                    .optional()
                    .choices(
                        std::iter::once(("", "選んでください"))
                            .chain(Relation::ALL.iter().map(|r| (r.as_str(), r.name_ja()))),
                    )
                    .fill(values, errors),
                Field::text("claimant_name", "請求する方の氏名")
                    .optional()
                    .maxlength(60)
                    .fill(values, errors),
                Field::text("claimant_kana", "請求する方の氏名（フリガナ）")
                    .optional()
                    .maxlength(60)
                    .fill(values, errors),
                Field::date("claimant_birth_date", "請求する方の生年月日")
                    .optional()
                    .fill(values, errors),
                Field::text("claimant_address", "請求する方の住所")
                    .optional()
                    .maxlength(200)
                    .fill(values, errors),
                Field::text("claimant_phone", "請求する方の電話番号")
                    .optional()
                    .input_type("tel")
                    .maxlength(20)
                    .fill(values, errors),
                Field::text("bank_code", "お振込み先の金融機関コード（4桁）")
                    .optional()
                    .numeric()
                    .width("w-4")
                    .maxlength(4)
                    .hint("通帳やキャッシュカードに書かれています。例：0005")
                    .fill(values, errors),
                Field::text("branch_code", "支店コード（3桁）")
                    .optional()
                    .numeric()
                    .width("w-4")
                    .maxlength(3)
                    .fill(values, errors),
                Field::text("account_type", "口座の種類")
                    .kind("radio")
                    .optional()
                    .choices([("ordinary", "普通"), ("current", "当座")])
                    .fill(values, errors),
                Field::text("account_number", "口座番号（7桁以内）")
                    .optional()
                    .numeric()
                    .width("w-8")
                    .maxlength(7)
                    .fill(values, errors),
                Field::text("account_holder_kana", "口座名義（カナ）")
                    .optional()
                    .maxlength(60)
                    .fill(values, errors),
            ],
        )
        .hint("契約者ご本人が請求する場合は空欄のままにしてください（ご登録の引落口座にお振り込みします）。ご遺族が請求する場合は、ご遺族の口座を入力してください。"),
    ]
}

/// The claim as the app reads it, from the form's values.
fn claim_form(values: &BTreeMap<String, String>, evidence: Option<String>) -> ClaimForm {
    let v = |k: &str| {
        values
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let claimant = ["relation", "claimant_name", "claimant_kana"]
        .iter()
        .any(|k| v(k).is_some())
        .then(|| ClaimantForm {
            relation: v("relation"),
            name: v("claimant_name"),
            name_kana: v("claimant_kana"),
            birth_date: v("claimant_birth_date"),
            address: v("claimant_address"),
            phone: v("claimant_phone"),
        });
    // `payout` is `lump_sum` or `instalments:<years>`.
    let (form, years) = match v("payout").as_deref().map(|p| p.split_once(':')) {
        Some(Some((f, y))) => (Some(f.to_string()), Some(y.to_string())),
        Some(None) => (v("payout"), None),
        None => (None, None),
    };
    ClaimForm {
        event: v("event"),
        event_date: v("event_date"),
        payout: ClaimPayoutForm {
            form,
            years,
            lump_sum_yen: None,
        },
        claimant,
        evidence: evidence.into_iter().collect(),
        bank_code: v("bank_code"),
        branch_code: v("branch_code"),
        account_type: v("account_type"),
        account_number: v("account_number"),
        account_holder_kana: v("account_holder_kana"),
    }
}

fn payments_text(lines: &[PaymentLine]) -> String {
    match (lines.first(), lines.len()) {
        (None, _) => String::new(),
        (Some(p), 1) => format!("{}に{}", ja_date(p.date), yen(p.yen)),
        (Some(p), n) => format!("{}から{}回（1回目 {}）", ja_date(p.date), n, yen(p.yen)),
    }
}

fn with_preview(p: &mut ClaimPage, preview: &ClaimPreview, chosen: &str) {
    p.kind = preview.benefit_kind.name_ja().to_string();
    p.explanation = preview.explanation.clone();
    p.gross = yen(preview.gross_yen);
    p.deductions = preview
        .deductions
        .iter()
        .map(|d| {
            let label = match d.kind.as_str() {
                "loans" => "貸付金の残高",
                "unpaid_premiums" => "未納の掛金",
                other => other,
            };
            (label.to_string(), yen(d.yen))
        })
        .collect();
    p.net = yen(preview.net_yen);
    p.estimate = preview.estimate;
    p.review_reasons = preview.review_reasons.clone();
    p.options = preview
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let value = match o.years {
                Some(y) => format!("{}:{y}", o.form),
                None => o.form.to_string(),
            };
            OptionRow {
                checked: value == chosen || (chosen.is_empty() && i == 0),
                label: match o.years {
                    Some(y) => format!("{y}年の分割でうけとる"),
                    None => "一括でうけとる".to_string(),
                },
                detail: payments_text(&o.payouts),
                value,
            }
        })
        .collect();
}

fn error_of(errors: &[FieldError], field: &str) -> String {
    errors
        .iter()
        .filter(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

fn event_page(
    signed: &SignedIn,
    number: &str,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> ClaimPage {
    // The app names the claimant's fields `claimant.<name>`; the form calls them otherwise.
    let errors: Vec<FieldError> = errors
        .iter()
        .map(|e| FieldError {
            field: match e.field.as_str() {
                "claimant.relation" | "claimant" => "relation".into(),
                "claimant.name" => "claimant_name".into(),
                "claimant.name_kana" => "claimant_kana".into(),
                "claimant.birth_date" => "claimant_birth_date".into(),
                "claimant.address" => "claimant_address".into(),
                "claimant.phone" => "claimant_phone".into(),
                "application" => "event".into(),
                other => other.to_string(),
            },
            ..e.clone()
        })
        .collect();
    let mut p = ClaimPage::new(signed, number, "event");
    p.sections = sections(values, &errors);
    p.summary = summary(p.sections.iter().flat_map(|s| s.fields.iter()));
    p
}

fn carried(values: &BTreeMap<String, String>) -> Vec<(&'static str, String)> {
    EVENT_FIELDS
        .iter()
        .map(|k| (*k, values.get(*k).cloned().unwrap_or_default()))
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    // Only a contract the member may claim on opens the form (the preview checks the rest).
    if let Err(e) = state.app.contract_billing(&signed.actor, &number).await {
        return app_error(e, Some(&signed.user));
    }
    render(
        StatusCode::OK,
        &event_page(&signed, &number, &BTreeMap::new(), &[]),
    )
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
    let actor = &signed.actor;
    let (parts, upload_errors) = match upload::read(multipart, app.evidence.max_bytes).await {
        Ok(p) => (p, Vec::new()),
        Err(AppError::Invalid(errors)) => (
            upload::Parts {
                fields: Vec::new(),
                file: None,
            },
            errors,
        ),
        Err(e) => return Err(e),
    };
    if !upload_errors.is_empty() {
        let p = event_page(signed, number, &BTreeMap::new(), &upload_errors);
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
    }
    let mut values: BTreeMap<String, String> = parts
        .fields
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect();
    let action = values.remove("action").unwrap_or_else(|| "preview".into());
    if action == "edit" {
        return Ok(render(
            StatusCode::OK,
            &event_page(signed, number, &values, &[]),
        ));
    }
    let preview = match app
        .claim_preview(actor, number, &claim_form(&values, None))
        .await
    {
        Ok(p) => p,
        Err(AppError::Invalid(errors)) => {
            let p = event_page(signed, number, &values, &errors);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
        }
        Err(e) => return Err(e),
    };
    let chosen = values.get("payout").cloned().unwrap_or_default();
    let preview_page = |errors: &[FieldError]| {
        let mut p = ClaimPage::new(signed, number, "preview");
        with_preview(&mut p, &preview, &chosen);
        p.carried = carried(&values);
        p.option_error = error_of(errors, "payout");
        p.evidence_error = error_of(errors, "evidence");
        p.general_errors = errors
            .iter()
            .filter(|e| !e.field.starts_with("payout") && e.field != "evidence")
            .map(|e| e.message.clone())
            .collect();
        p
    };
    if action != "submit" {
        return Ok(render(StatusCode::OK, &preview_page(&[])));
    }
    let evidence = match parts.file {
        Some(file) => {
            match app
                .upload_evidence(actor, number, &file.file_name, &file.bytes)
                .await
            {
                Ok(e) => Some(e.token),
                Err(AppError::Invalid(errors)) => {
                    return Ok(render(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &preview_page(&errors),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    let done = match app
        .submit_claim(actor, number, &claim_form(&values, evidence), None)
        .await
    {
        Ok(answer) => answer.fresh()?,
        Err(AppError::Invalid(errors)) => {
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &preview_page(&errors),
            ));
        }
        Err(e) => return Err(e),
    };
    let mut p = ClaimPage::new(signed, number, "done");
    p.kind = done.benefit_kind.name_ja().to_string();
    p.explanation = done.explanation.clone();
    p.net = yen(done.net_yen);
    p.estimate = done.estimate;
    p.in_review = done.status == ApplicationStatus::InReview;
    p.application_id = done.application_id.to_string();
    p.payments = done
        .payouts
        .iter()
        .map(|l| (ja_date(l.date), yen(l.yen)))
        .collect();
    Ok(render(StatusCode::OK, &p))
}
