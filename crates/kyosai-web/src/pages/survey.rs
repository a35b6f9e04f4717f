//! The survey after a procedure (アンケート, issue #14): `/s/{code}`, public, two questions. The
//! short code is linked from the completion page and printed on paper completion letters, so
//! it works without logging in; it is answered once.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::survey::{MAX_COMMENT_CHARS, SurveyView};
use kyosai_domain::FieldError;

use super::FormData;
use super::view::{Layout, app_error, message, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::MaybeUser;

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    layout: Layout,
    summary: Vec<SummaryItem>,
    procedure: String,
    action: String,
    satisfaction: Field,
    comment: Field,
}

fn layout(user: &MaybeUser, title: &str) -> Layout {
    match &user.0 {
        Some((u, true)) => Layout::user(title, u),
        _ => Layout::anonymous(title),
    }
}

const TITLE: &str = "手続きについてのアンケート";

fn fields(values: &BTreeMap<String, String>, errors: &[FieldError]) -> (Field, Field) {
    (
        Field::text("satisfaction", "手続きの満足度")
            .kind("radio")
            .hint("5がいちばん満足です。")
            .choices([
                ("5", "5　とても満足"),
                ("4", "4　満足"),
                ("3", "3　どちらともいえない"),
                ("2", "2　不満"),
                ("1", "1　とても不満"),
            ])
            .fill(values, errors),
        Field::text("comment", "ご意見・ご要望")
            .kind("textarea")
            .optional()
            .maxlength(u32::try_from(MAX_COMMENT_CHARS).unwrap_or(1000))
            .hint("わかりにくかった所や、困った所があればお書きください。")
            .fill(values, errors),
    )
}

fn page(
    user: &MaybeUser,
    s: &SurveyView,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let (satisfaction, comment) = fields(values, errors);
    render(
        status,
        &SurveyPage {
            layout: layout(user, TITLE),
            summary: summary([&satisfaction, &comment]),
            procedure: format!("{}（{}）", s.procedure.name_ja(), s.program.name_ja()),
            action: format!("/s/{}", s.code),
            satisfaction,
            comment,
        },
    )
}

fn answered(user: &MaybeUser) -> Response {
    message(
        StatusCode::OK,
        layout(user, "ご回答ありがとうございました"),
        "いただいたご意見は、手続きをわかりやすくするために使わせていただきます。",
        &[("/", "トップページへ")],
    )
}

pub async fn show(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(code): Path<String>,
) -> Response {
    match state.app.survey(&code).await {
        Ok(s) if s.answered => answered(&user),
        Ok(s) => page(&user, &s, &BTreeMap::new(), &[], StatusCode::OK),
        Err(e) => app_error(e, None),
    }
}

pub async fn post(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(code): Path<String>,
    form: FormData,
) -> Response {
    let survey = match state.app.survey(&code).await {
        Ok(s) => s,
        Err(e) => return app_error(e, None),
    };
    match state
        .app
        .answer_survey(&code, &form.text("satisfaction"), &form.text("comment"))
        .await
    {
        Ok(()) | Err(AppError::Conflict { .. }) => answered(&user),
        Err(AppError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("satisfaction".to_string(), form.text("satisfaction")),
                ("comment".to_string(), form.text("comment")),
            ]);
            page(
                &user,
                &survey,
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => app_error(e, None),
    }
}
