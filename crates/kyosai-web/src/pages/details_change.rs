//! The member's registered details change, `/portal/contracts/{number}/details`: a form
//! prefilled with the details in force (with the enrollment's postcode look-up and a file input
//! for the evidence a name change needs), a confirmation showing each changed field old → new,
//! and the done page. Staff open the same page for a member to key in a paper 変更届.
//!
//! The form is `multipart/form-data` (it may carry a file). A file chosen on the form is checked
//! and stored when the form is sent to the confirmation (`App::upload_evidence`), and travels on
//! as its token in a hidden field; `confirm` checks the change (`App::preview_details_change`,
//! nothing else stored), `submit` files it (`App::change_details`). Who may see it is decided by
//! the use case: anyone but the contract's member (and staff) gets the 404 page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::details_change::{DetailsContext, DetailsForm, FIELDS, FieldChange, label_of};
use kyosai_domain::{ApplicationStatus, FieldError, Program};

use super::view::{Layout, app_error, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;
use crate::upload;

#[derive(Template)]
#[template(path = "details_change.html")]
struct DetailsPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    notice: String,
    summary: Vec<SummaryItem>,
    /// Form: the fields, in groups (legend, fields, whether the postcode look-up follows).
    groups: Vec<(&'static str, Vec<Field>, bool)>,
    /// The evidence field's error, and the name of a file already attached.
    evidence_error: String,
    evidence_name: String,
    /// Confirmation and done: what changes.
    changes: Vec<FieldChange>,
    /// Confirmation: why it would wait for staff.
    review_reasons: Vec<String>,
    /// Confirmation: the values again, hidden, for the submit (and the evidence token).
    hidden: Vec<(String, String)>,
    /// Done: waits for staff.
    in_review: bool,
}

/// The fields each program records (REFERENCE §6.1 小107-1, §6.2 契約変更届).
fn fields_for(ctx: &DetailsContext) -> Vec<&'static str> {
    FIELDS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| match *n {
            "representative" => ctx.program == Program::SafetyNet && ctx.corporation,
            "capital_yen" | "employees" => ctx.program == Program::SafetyNet,
            _ => true,
        })
        .collect()
}

fn current_values(ctx: &DetailsContext) -> BTreeMap<String, String> {
    let d = &ctx.current;
    let mut v = BTreeMap::new();
    let mut put = |k: &str, s: String| {
        v.insert(k.to_string(), s);
    };
    put("holder_name", d.holder_name.clone());
    put("business_name", d.business_name.clone());
    put("representative", d.representative.clone());
    put("postcode", d.postcode.clone());
    put("prefecture", d.prefecture.clone());
    put("city", d.city.clone());
    put("address_line", d.address_line.clone());
    put("business_address", d.business_address.clone());
    put("phone", d.phone.clone());
    put("email", d.email.clone());
    put(
        "capital_yen",
        d.capital_yen.map(|y| y.to_string()).unwrap_or_default(),
    );
    put("employees", d.employees.to_string());
    v
}

fn field(name: &'static str, corporation: bool) -> Field {
    let f = Field::text(name, label_of(name));
    match name {
        "holder_name" => f
            .hint(
                "変更するときは、変更が分かる書類（戸籍抄本・住民票など）を下で添付してください。",
            )
            .autocomplete("name")
            .maxlength(100),
        "business_name" if corporation => f
            .hint("法人名を変更するときは、登記事項証明書を添付してください。職員が確認します。")
            .maxlength(100),
        "business_name" => f.autocomplete("organization").maxlength(100),
        "representative" => f.optional().maxlength(100),
        "postcode" => f
            .hint("7桁の数字。例：1000001")
            .autocomplete("postal-code")
            .numeric()
            .width("w-4")
            .maxlength(8),
        "prefecture" => f.autocomplete("address-level1").width("w-4").maxlength(10),
        "city" => f.autocomplete("address-level2").maxlength(100),
        "address_line" => f.autocomplete("address-line1").maxlength(100),
        "business_address" => f
            .optional()
            .hint("住所と異なる場合だけ入力してください。")
            .maxlength(100),
        "phone" => f
            .input_type("tel")
            .autocomplete("tel")
            .hint("例：03-1234-5678")
            .width("w-8")
            .maxlength(20),
        "email" => f
            .input_type("email")
            .autocomplete("email")
            .hint("契約に関するお知らせの連絡先です（ログインに使うアドレスは変わりません）。")
            .maxlength(254),
        "capital_yen" => f
            .optional()
            .numeric()
            .hint("円単位。例：10000000")
            .width("w-8")
            .maxlength(20),
        "employees" => f.numeric().hint("人数。例：12").width("w-4").maxlength(10),
        _ => f,
    }
}

fn details_form(values: &BTreeMap<String, String>, allowed: &[&str]) -> DetailsForm {
    let v = |n: &str| {
        if allowed.contains(&n) {
            values.get(n).cloned()
        } else {
            None
        }
    };
    DetailsForm {
        holder_name: v("holder_name"),
        business_name: v("business_name"),
        representative: v("representative"),
        postcode: v("postcode"),
        prefecture: v("prefecture"),
        city: v("city"),
        address_line: v("address_line"),
        business_address: v("business_address"),
        phone: v("phone"),
        email: v("email"),
        capital_yen: v("capital_yen"),
        employees: v("employees"),
        evidence: values.get("evidence").cloned().filter(|s| !s.is_empty()),
    }
}

struct Page<'a> {
    state: &'a AppState,
    signed: &'a SignedIn,
    number: &'a str,
}

impl Page<'_> {
    async fn context(&self) -> Result<DetailsContext, AppError> {
        self.state
            .app
            .details_context(&self.signed.actor, self.number)
            .await
    }

    fn page(&self, ctx: &DetailsContext, mode: &'static str, title: &str) -> DetailsPage {
        DetailsPage {
            layout: Layout::user(title, &self.signed.user),
            number: ctx.contract_number.clone(),
            program_name: ctx.program.name_ja(),
            mode,
            notice: String::new(),
            summary: Vec::new(),
            groups: Vec::new(),
            evidence_error: String::new(),
            evidence_name: String::new(),
            changes: Vec::new(),
            review_reasons: Vec::new(),
            hidden: Vec::new(),
            in_review: false,
        }
    }

    fn form(
        &self,
        ctx: &DetailsContext,
        status: StatusCode,
        values: &BTreeMap<String, String>,
        errors: &[FieldError],
        notice: String,
    ) -> Response {
        let allowed = fields_for(ctx);
        let make = |names: &[&'static str]| -> Vec<Field> {
            names
                .iter()
                .filter(|n| allowed.contains(n))
                .map(|n| field(n, ctx.corporation).fill(values, errors))
                .collect()
        };
        let groups = vec![
            (
                "氏名・名称",
                make(&["holder_name", "business_name", "representative"]),
                false,
            ),
            ("住所", make(&["postcode"]), true),
            (
                "",
                make(&["prefecture", "city", "address_line", "business_address"]),
                false,
            ),
            ("連絡先", make(&["phone", "email"]), false),
            (
                "資本金・従業員数",
                make(&["capital_yen", "employees"]),
                false,
            ),
        ]
        .into_iter()
        .filter(|(_, f, _)| !f.is_empty())
        .collect::<Vec<_>>();
        let mut p = self.page(ctx, "form", "登録内容の変更");
        p.summary = summary(groups.iter().flat_map(|(_, f, _)| f.iter()));
        let evidence_error = errors
            .iter()
            .find(|e| e.field == "evidence")
            .map(|e| e.message.clone())
            .unwrap_or_default();
        if !evidence_error.is_empty() {
            p.summary.push(SummaryItem {
                href: "#f-evidence_file".into(),
                message: evidence_error.clone(),
            });
        }
        for e in errors
            .iter()
            .filter(|e| !allowed.contains(&e.field.as_str()) && e.field != "evidence")
        {
            p.summary.push(SummaryItem {
                href: String::new(),
                message: e.message.clone(),
            });
        }
        p.groups = groups;
        p.evidence_error = evidence_error;
        p.evidence_name = values.get("evidence_name").cloned().unwrap_or_default();
        p.hidden = ["evidence", "evidence_name"]
            .iter()
            .filter_map(|n| values.get(*n).map(|v| ((*n).to_string(), v.clone())))
            .collect();
        p.notice = notice;
        render(status, &p)
    }
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
    };
    match page.context().await {
        Ok(ctx) => page.form(
            &ctx,
            StatusCode::OK,
            &current_values(&ctx),
            &[],
            String::new(),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
    };
    match handle_post(&page, multipart).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(page: &Page<'_>, multipart: Multipart) -> Result<Response, AppError> {
    let ctx = page.context().await?;
    let app = &page.state.app;
    let actor = &page.signed.actor;
    let parts = match upload::read(multipart, app.evidence.max_bytes).await {
        Ok(p) => p,
        Err(AppError::Invalid(errors)) => {
            return Ok(page.form(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &current_values(&ctx),
                &errors,
                "添付ファイルを受け取れませんでした。入力内容をもう一度ご確認ください。".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    let mut values: BTreeMap<String, String> = parts
        .fields
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect();
    let action = values.remove("action").unwrap_or_else(|| "confirm".into());
    let allowed = fields_for(&ctx);
    if let Some(file) = parts.file {
        match app
            .upload_evidence(actor, page.number, &file.file_name, &file.bytes)
            .await
        {
            Ok(e) => {
                values.insert("evidence".into(), e.token);
                values.insert("evidence_name".into(), e.file_name);
            }
            Err(AppError::Invalid(errors)) => {
                values.remove("evidence");
                values.remove("evidence_name");
                return Ok(page.form(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &values,
                    &errors,
                    String::new(),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    match action.as_str() {
        "postcode" => {
            let (status, errors, notice) = match super::enroll::lookup_postcode(&mut values) {
                Ok(notice) => (StatusCode::OK, Vec::new(), notice),
                Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, vec![e], String::new()),
            };
            Ok(page.form(&ctx, status, &values, &errors, notice))
        }
        "edit" => Ok(page.form(&ctx, StatusCode::OK, &values, &[], String::new())),
        "submit" => match app
            .change_details(actor, page.number, &details_form(&values, &allowed))
            .await
        {
            Ok(done) => {
                let in_review = done.status == ApplicationStatus::InReview;
                let title = if in_review {
                    "登録内容の変更を受け付けました"
                } else {
                    "登録内容を変更しました"
                };
                let mut p = page.page(&ctx, "done", title);
                p.changes = done.changes;
                p.in_review = in_review;
                Ok(render(StatusCode::OK, &p))
            }
            Err(e) => refused(page, &ctx, &values, e),
        },
        _ => match app
            .preview_details_change(actor, page.number, &details_form(&values, &allowed))
            .await
        {
            Ok(preview) => {
                let mut p = page.page(&ctx, "confirm", "変更内容の確認");
                p.changes = preview.changes;
                p.review_reasons = preview.review_reasons;
                p.evidence_name = values.get("evidence_name").cloned().unwrap_or_default();
                p.hidden = values
                    .iter()
                    .filter(|(k, _)| {
                        allowed.contains(&k.as_str()) || *k == "evidence" || *k == "evidence_name"
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(render(StatusCode::OK, &p))
            }
            Err(e) => refused(page, &ctx, &values, e),
        },
    }
}

/// A refused form comes back with its field errors; "nothing changed" as a notice.
fn refused(
    page: &Page<'_>,
    ctx: &DetailsContext,
    values: &BTreeMap<String, String>,
    e: AppError,
) -> Result<Response, AppError> {
    match e {
        AppError::Invalid(errors) => Ok(page.form(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            &errors,
            String::new(),
        )),
        AppError::Unprocessable {
            code: "no_change",
            message,
        } => Ok(page.form(ctx, StatusCode::UNPROCESSABLE_ENTITY, values, &[], message)),
        e => Err(e),
    }
}

/// `/evidence/{token}`: a stored document, for staff and the member it belongs to (the 404 page
/// for anyone else), always as a download.
pub async fn evidence(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(token): Path<String>,
) -> Response {
    match state.app.evidence_download(&signed.actor, &token).await {
        Ok(d) => upload::download(d),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
