//! Choosing a bank and a branch without JavaScript, from the embedded Zengin data: a search
//! button lists matches as buttons, pressing one posts its code. Shared by the enrollment's
//! account step and the account change page (`templates/_sections.html` shows it).

use std::collections::BTreeMap;

use super::FormData;

pub struct Hit {
    pub code: &'static str,
    pub name: &'static str,
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
            b.name
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
            name: b.name,
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
                    name: br.name,
                })
                .collect(),
            format!(
                "{}に「{q}」に当てはまる支店は見つかりませんでした。",
                b.name
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
        .map(|b| b.name.to_string())
        .unwrap_or_default();
    let branch = values
        .get("branch_code")
        .and_then(|b| kyosai_refdata::branch(bank_code, b.trim()))
        .map(|b| b.name.to_string())
        .unwrap_or_default();
    (bank, branch)
}
