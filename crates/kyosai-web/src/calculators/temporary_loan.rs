//! 経営セーフティ共済: the temporary loan (一時貸付金), available without a bankruptcy.

use kyosai_app::ja_text::{ja_date, ja_yen_man};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::simulation::{self as sim, TemporaryLoanRequest};
use kyosai_domain::{FieldError, Program};

use super::form::{self, months_text, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Values, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/safety-net/temporary-loan",
    title: "経営セーフティ共済：一時貸付金で借りられる額の計算",
    program: Program::SafetyNet,
    lead: "取引先の倒産がなくても、解約したときに戻る額の範囲内で借りられる一時貸付金の上限額の目安を計算します。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

fn about(rules: &RuleSet) -> Vec<String> {
    let Some(t) = rules.safety_net.as_ref().map(|s| &s.temporary_loan) else {
        return Vec::new();
    };
    vec![format!(
        "掛金を{}か月以上納付していれば、事業資金として借りられます。上限は、{}したときの解約手当金の{}から、返済中の貸付残高を差し引いた額です。",
        t.min_months.value,
        t.refund_basis.value.name_ja(),
        t.share_of_refund.value
    )]
}

fn defaults() -> Vec<(&'static str, String)> {
    Vec::new()
}

fn prefill(c: &ContractFacts) -> Vec<(&'static str, String)> {
    vec![
        ("months_paid", c.months_paid.to_string()),
        ("total_paid_yen", c.total_paid_yen.to_string()),
    ]
}

/// The legacy-cap checkbox, with the date and amounts of the rule set in force.
fn legacy_holder(rules: &RuleSet) -> Field {
    let Some(t) = rules.safety_net.as_ref().map(|s| &s.temporary_loan) else {
        return Field::checkbox("legacy_holder", "以前の掛金総額の上限のまま据え置いている");
    };
    let cap = ja_yen_man(t.legacy_total_paid_yen.value);
    Field::checkbox(
        "legacy_holder",
        format!(
            "{}に掛金総額が{cap}に達していて、その後も掛金月額を{}以上に増額していない",
            ja_date(t.legacy_as_of.value),
            t.legacy_premium_raise_yen.value
        ),
    )
    .hint(format!(
        "当てはまる方は、掛金総額が{cap}のままであれば上限が{}になります。",
        ja_yen_man(t.legacy_limit_yen.value)
    ))
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    vec![Section::new(
        "これまでの掛金",
        vec![
            Field::number("months_paid", "掛金を納付した月数（か月）")
                .hint("前納して、まだその月が来ていない分は含めません。例：24")
                .width("w-4")
                .fill(v, e),
            Field::number("total_paid_yen", "納付した掛金の総額（円）")
                .hint("例：掛金月額50,000円を24か月なら1200000")
                .fill(v, e),
            Field::number("outstanding_loans_yen", "いま返済中の貸付残高（円）")
                .hint("この共済から借りて返済中の額（共済金貸付・一時貸付金）。なければ空欄のままで構いません。")
                .optional()
                .fill(v, e),
            legacy_holder(rules).fill(v, e),
        ],
    )]
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let months = form::count(v, "months_paid", "納付月数", &mut errs);
    let total = form::amount(v, "total_paid_yen", "掛金の総額", &mut errs);
    let outstanding = form::optional_amount(v, "outstanding_loans_yen", "貸付残高", &mut errs);
    let (months_paid, total_paid_yen) = (months.unwrap_or(0), total.unwrap_or(0));
    let req = TemporaryLoanRequest {
        months_paid,
        total_paid_yen,
        outstanding_loans_yen: outstanding.unwrap_or(0),
        legacy_holder: form::is_on(form::text(v, "legacy_holder")),
    };
    let r = Failure::check(
        errs,
        sim::safety_net_temporary_loan(&req, ctx.book, ctx.today),
        str::to_string,
    )?;

    let mut o = if r.eligible {
        Outcome::new("借りられる額の上限の目安", yen(r.limit_yen), true)
    } else {
        Outcome::new("この条件では", "借りられません", false)
    };
    o = o.rules(r.estimate, &r.rule_set, ctx.book);
    o.reasons = r.reasons.iter().map(|x| x.message.clone()).collect();
    o.rows.push(row("納付月数", months_text(months_paid)));
    o.rows.push(row("納付した掛金の総額", yen(total_paid_yen)));
    let rules = ctx
        .book
        .in_force(Program::SafetyNet, ctx.today)
        .and_then(|s| s.safety_net.as_ref())
        .map(|s| &s.temporary_loan);
    if let Some(t) = rules {
        o.rows.push(row(
            "借りられる額の単位",
            format!("{}以上、{}単位", t.min_yen.value, t.unit_yen.value),
        ));
        o.rows.push(row(
            "返済",
            format!(
                "{}か月後に一括返済（利率 年{}{}）",
                t.term_months.value,
                t.interest_rate.value,
                if t.interest_rate.provisional {
                    "・暫定"
                } else {
                    ""
                }
            ),
        ));
    }
    if r.eligible {
        o.meaning.push("上限額までの範囲で、事業資金（運転資金・設備資金）として借りられます。担保や保証人は要りません。".into());
        o.next.push("「一時貸付金貸付請求書」と「金銭消費貸借契約証書」に金融機関の確認を受け、印鑑登録証明書と収入印紙を添えて中小機構へ郵送します。".into());
        o.next.push("期日までに返済しないと、遅延損害金がかかります。返済の見通しを立ててからお申し込みください。".into());
    } else {
        o.meaning
            .push("上の理由により、入力した条件では一時貸付金を借りられません。".into());
        if let Some(t) = rules {
            o.next.push(format!(
                "納付月数が足りない場合は、{}か月以上納付した後に、もう一度計算してください。",
                t.min_months.value
            ));
        }
    }
    if o.estimate {
        o.estimate_note = ESTIMATE_NOTE.to_string();
    }
    Ok(o)
}
