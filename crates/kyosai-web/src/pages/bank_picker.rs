//! Choosing a bank and a branch without JavaScript, from the embedded Zengin data: a search
//! button lists matches as buttons, pressing one posts its code. Shared by the enrollment's
//! account step and the account change page (`templates/_sections.html` shows it).

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::FormData;
use super::view::render;

pub struct Hit {
    pub code: &'static str,
    pub name: String,
}

/// A bank's name as people know it. The Zengin data has short forms without the institution
/// type and with full-width letters (`三菱ＵＦＪ`, `北海道信金`); people look for
/// `三菱UFJ銀行`, `北海道信用金庫`. The type follows from the code range (banks 0001–0199,
/// trust and other banks 0288–0398, second-tier regional banks 0500–0599, ゆうちょ銀行 9900);
/// foreign banks and the rest keep their published name.
pub fn bank_display_name(code: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    let n: u32 = code.parse().unwrap_or(0);
    let is_bank = matches!(n, 1..=199 | 288..=398 | 500..=599 | 9900);
    if is_bank {
        return format!("{name}銀行");
    }
    for (short, long) in [
        ("信金", "信用金庫"),
        ("信組", "信用組合"),
        ("農協", "農業協同組合"),
    ] {
        if let Some(stem) = name.strip_suffix(short) {
            return format!("{stem}{long}");
        }
    }
    name
}

#[derive(Template)]
#[template(path = "_bank_results.html")]
struct BankResults {
    bank_query: String,
    bank_searched: bool,
    bank_results: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "_branch_results.html")]
struct BranchResults {
    branch_searched: bool,
    branch_results: Vec<Hit>,
    branch_message: String,
}

/// Whether the request was sent by htmx (which sets `HX-Request: true`).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").and_then(|v| v.to_str().ok()) == Some("true")
}

/// A bank or branch search sent by htmx is answered with its results alone, which the page
/// swaps in place: no reload to the top of the page on a phone (issue #9 item 10). Without
/// JavaScript the same search posts the form and gets the whole page (None here). `values`
/// holds the chosen bank for a branch search.
pub fn search_fragment(
    headers: &HeaderMap,
    form: &FormData,
    values: &BTreeMap<String, String>,
) -> Option<Response> {
    if !is_htmx(headers) {
        return None;
    }
    match form.get("action")? {
        "bank_search" => {
            let q = form.text("bank_query").trim().to_string();
            Some(render(
                StatusCode::OK,
                &BankResults {
                    bank_results: banks(&q),
                    bank_query: q,
                    bank_searched: true,
                },
            ))
        }
        "branch_search" => {
            let q = form.text("branch_query").trim().to_string();
            let (branch_results, branch_message) = branches(values, &q);
            Some(render(
                StatusCode::OK,
                &BranchResults {
                    branch_searched: true,
                    branch_results,
                    branch_message,
                },
            ))
        }
        _ => None,
    }
}

/// Applies a pressed result button (`pick_bank` / `pick_branch`) to the form values. Returns the
/// notice to show, or None when nothing was picked. A new bank clears the branch.
pub fn apply_pick(form: &FormData, values: &mut BTreeMap<String, String>) -> Option<String> {
    if let Some(code) = form.get("pick_bank") {
        let b = kyosai_refdata::bank(code)?;
        if values.get("bank_code").map(String::as_str) != Some(b.code) {
            values.remove("branch_code");
        }
        values.insert("bank_code".into(), b.code.into());
        return Some(format!(
            "金融機関に「{}」を選びました。続けて支店を選んでください。",
            bank_display_name(b.code, b.name)
        ));
    }
    let code = form.get("pick_branch")?;
    let bank = values.get("bank_code").cloned().unwrap_or_default();
    let b = kyosai_refdata::branch(&bank, code)?;
    values.insert("branch_code".into(), b.code.into());
    Some(format!("支店に「{}」を選びました。", b.name))
}

/// Whether the post was a press on a result button.
pub fn is_pick(form: &FormData) -> bool {
    form.get("pick_bank").is_some() || form.get("pick_branch").is_some()
}

/// Banks whose name or kana matches (nothing for an empty query).
pub fn banks(q: &str) -> Vec<Hit> {
    if q.is_empty() {
        return Vec::new();
    }
    kyosai_refdata::search_banks(q, 20)
        .into_iter()
        .map(|b| Hit {
            code: b.code,
            name: bank_display_name(b.code, b.name),
        })
        .collect()
}

/// Branches of the chosen bank that match, and the message shown when there are none.
pub fn branches(values: &BTreeMap<String, String>, q: &str) -> (Vec<Hit>, String) {
    let bank_code = values.get("bank_code").cloned().unwrap_or_default();
    match kyosai_refdata::bank(&bank_code) {
        Some(b) => (
            kyosai_refdata::search_branches(b.code, q, 30)
                .into_iter()
                .map(|br| Hit {
                    code: br.code,
                    name: br.name.to_string(),
                })
                .collect(),
            format!(
                "{}に「{q}」に当てはまる支店は見つかりませんでした。",
                bank_display_name(b.code, b.name)
            ),
        ),
        None => (
            Vec::new(),
            "先に金融機関コードを入力するか、金融機関を検索して選んでください。".into(),
        ),
    }
}

/// The chosen bank's and branch's names, shown above the search boxes.
pub fn chosen_names(values: &BTreeMap<String, String>) -> (String, String) {
    let bank_code = values.get("bank_code").map(|s| s.trim()).unwrap_or("");
    let bank = kyosai_refdata::bank(bank_code)
        .map(|b| bank_display_name(b.code, b.name))
        .unwrap_or_default();
    let branch = values
        .get("branch_code")
        .and_then(|b| kyosai_refdata::branch(bank_code, b.trim()))
        .map(|b| b.name.to_string())
        .unwrap_or_default();
    (bank, branch)
}

#[cfg(test)]
mod tests {
    use super::bank_display_name;

    #[test]
    fn bank_names_read_as_people_know_them() {
        assert_eq!(bank_display_name("0001", "みずほ"), "みずほ銀行");
        assert_eq!(bank_display_name("0005", "三菱ＵＦＪ"), "三菱UFJ銀行");
        assert_eq!(
            bank_display_name("0288", "三菱ＵＦＪ信託"),
            "三菱UFJ信託銀行"
        );
        assert_eq!(bank_display_name("9900", "ゆうちょ"), "ゆうちょ銀行");
        assert_eq!(bank_display_name("1175", "気仙沼信金"), "気仙沼信用金庫");
        assert_eq!(bank_display_name("0402", "ＪＰモルガン"), "JPモルガン");
    }
}
