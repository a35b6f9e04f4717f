//! Pre-filling a calculator from the logged-in member's own contract: the app reads the premium
//! and what the ledger shows as paid ([`CalculatorPrefill`]); this module says where it came from.

use kyosai_app::auth::Principal;
use kyosai_app::calculator_prefill::CalculatorPrefill;
use kyosai_app::{Actor, App, Role};
use kyosai_domain::Program;

use super::form::{months_text, yen};

/// What a calculator may take from a contract (the name the calculator specs use).
pub(crate) type ContractFacts = CalculatorPrefill;

/// The sentence shown above a pre-filled form.
pub(crate) fn prefill_notice(c: &CalculatorPrefill, filled: &[(&'static str, String)]) -> String {
    let has = |name: &str| filled.iter().any(|(k, _)| *k == name);
    let mut parts = vec![format!("掛金月額 {}", yen(c.monthly_premium_yen))];
    if has("months_paid") || has("h1_months") {
        let since = c
            .first_debit_month
            .map(|m| {
                format!(
                    "（{}年{}月の初回引落しから、引き落とされた月の合計）",
                    m.year(),
                    m.month()
                )
            })
            .unwrap_or_default();
        parts.push(format!("納付月数 {}{since}", months_text(c.months_paid)));
    }
    if has("total_paid_yen") {
        parts.push(format!("掛金総額 {}", yen(c.total_paid_yen)));
    }
    format!(
        "ご契約（{}、共済契約者番号 {}）の内容を入力しました：{}。引落しの記録から計算しています。これから引き落とされる分や掛金の変更を見込む場合は、書き換えてから計算してください。",
        c.program_name,
        c.number,
        parts.join("、")
    )
}

/// The member's own contract of `program`. `None` for staff, without a contract, or on a store
/// error (the calculator then simply starts empty).
pub(crate) async fn contract(
    app: &App,
    user: &Principal,
    program: Program,
) -> Option<CalculatorPrefill> {
    if Role::parse(&user.role) != Some(Role::Member) {
        return None;
    }
    let actor = Actor {
        user_id: user.id,
        role: Role::Member,
    };
    match app.calculator_prefill(&actor, program).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "calculator pre-fill unavailable");
            None
        }
    }
}
