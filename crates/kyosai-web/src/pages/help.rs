//! The public help pages (共済サポートnavi, issue #14 item 3): for every online procedure, a
//! step-by-step guide with a screenshot of each step. The guides are made by the browser walks
//! (`e2e/lib.mjs` `guide`), which `e2e/run.sh` checks against the committed ones, so a changed
//! screen cannot leave a stale guide behind; they are embedded with the static files
//! (`static/help/<procedure>/steps.json` and its JPEGs). Linked from each procedure's first page
//! and from the contact center's mails.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_domain::Procedure;
use serde::Deserialize;

use super::view::{Layout, not_found_page, render};
use crate::session::MaybeUser;
use crate::static_files;

/// A guide as the walk wrote it.
#[derive(Debug, Deserialize)]
struct Guide {
    steps: Vec<GuideStep>,
}

#[derive(Debug, Deserialize)]
struct GuideStep {
    image: String,
    caption: String,
}

/// The guide of `procedure`, when the walks made one.
fn guide(procedure: Procedure) -> Option<Guide> {
    let json = static_files::bytes(&format!("help/{}/steps.json", procedure.as_str()))?;
    match serde_json::from_slice(&json) {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::error!(procedure = procedure.as_str(), error = %e, "unreadable help guide");
            None
        }
    }
}

/// The path of the help page of `procedure` (whether or not it has a guide yet).
pub fn help_path(procedure: Procedure) -> String {
    format!("/help/{}", procedure.as_str())
}

fn layout(title: &str, user: &MaybeUser) -> Layout {
    match &user.0 {
        Some((u, true)) => Layout::user(title, u),
        _ => Layout::anonymous(title),
    }
}

#[derive(Template)]
#[template(path = "help_index.html")]
struct IndexPage {
    layout: Layout,
    /// (path, name) of every procedure with a guide.
    guides: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "help_guide.html")]
struct GuidePage {
    layout: Layout,
    /// (image URL, caption).
    steps: Vec<(String, String)>,
}

pub async fn index(user: MaybeUser) -> Response {
    let guides = Procedure::ALL
        .into_iter()
        .filter(|p| guide(*p).is_some())
        .map(|p| (help_path(p), p.name_ja()))
        .collect();
    render(
        StatusCode::OK,
        &IndexPage {
            layout: layout("お手続きの画面つき説明", &user),
            guides,
        },
    )
}

pub async fn show(user: MaybeUser, Path(name): Path<String>) -> Response {
    let Some((procedure, g)) = Procedure::parse(&name).and_then(|p| guide(p).map(|g| (p, g)))
    else {
        return not_found_page();
    };
    render(
        StatusCode::OK,
        &GuidePage {
            layout: layout(&format!("{}の手順", procedure.name_ja()), &user),
            steps: g
                .steps
                .into_iter()
                .map(|s| {
                    (
                        format!("/static/help/{}/{}", procedure.as_str(), s.image),
                        s.caption,
                    )
                })
                .collect(),
        },
    )
}
