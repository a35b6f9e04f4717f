//! 経営セーフティ共済: the discount for paying premiums in advance (前納減額金).

use kyosai_domain::rules::RuleSet;
use kyosai_domain::simulation::{self as sim, PrepaymentDiscountRequest};
use kyosai_domain::{FieldError, Program};

use super::form::{self, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Values, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/safety-net/prepayment-discount",
    title: "経営セーフティ共済：掛金を前納したときの割引の計算",
    program: Program::SafetyNet,
    lead: "これから先の掛金をまとめて前納したときに戻ってくる前納減額金の目安を計算します。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

fn about(_: &RuleSet) -> Vec<String> {
    vec![
        "前納した月ごとに、何か月先の分かに応じて割引が付きます。例えば11か月分を前納すると、1か月先から11か月先までの合計66か月分の割引になります。".into(),
    ]
}

fn defaults() -> Vec<(&'static str, String)> {
    vec![("months_ahead", "11".into())]
}

fn prefill(c: &ContractFacts) -> Vec<(&'static str, String)> {
    vec![("monthly_premium_yen", c.monthly_premium_yen.to_string())]
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    vec![Section::new(
        "前納の内容",
        vec![
            Field::number("monthly_premium_yen", "掛金月額（円）")
                .hint(form::premium_hint(rules, "80000"))
                .fill(v, e),
            Field::number("months_ahead", "前納する月数（か月）")
                .hint("これから先の何か月分を、いままとめて払うかです。例：11")
                .width("w-4")
                .fill(v, e),
        ],
    )]
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let premium = form::amount(v, "monthly_premium_yen", "掛金月額", &mut errs);
    let months = form::count(v, "months_ahead", "前納する月数", &mut errs);
    let (monthly_premium_yen, months_ahead) = (premium.unwrap_or(0), months.unwrap_or(0));
    let req = PrepaymentDiscountRequest {
        monthly_premium_yen,
        months_ahead,
    };
    let r = Failure::check(
        errs,
        sim::safety_net_prepayment_discount(&req, ctx.book, ctx.today),
        str::to_string,
    )?;

    let mut o = Outcome::new("前納減額金の目安", yen(r.discount_yen), r.discount_yen > 0).rules(
        r.estimate,
        &r.rule_set,
        ctx.book,
    );
    o.rows.push(row(
        "前納する掛金の合計",
        format!(
            "{}（{} × {}か月）",
            yen(monthly_premium_yen.saturating_mul(months_ahead)),
            yen(monthly_premium_yen),
            months_ahead
        ),
    ));
    let rules = ctx
        .book
        .in_force(Program::SafetyNet, ctx.today)
        .and_then(|s| s.safety_net.as_ref())
        .map(|s| &s.prepayment);
    if let Some(p) = rules {
        o.meaning.push(format!(
            "前納減額金は、掛金月額 × {} × 前納月数の累計（何か月先の分かを、前納した月ごとに足した数）で計算します。",
            p.discount_rate.value
        ));
        o.next.push(format!(
            "前納減額金は毎年3月末の時点で計算され、{}月に掛金の引落口座へ支払われます。{}未満の場合は翌年に繰り越されます。",
            p.payout_month.value, p.carry_forward_below_yen.value
        ));
        let cutoff = p
            .application_cutoff_day
            .as_ref()
            .map(|d| {
                format!(
                    "前納を始めたい月の{}日までに中小機構に届くように、",
                    d.value
                )
            })
            .unwrap_or_default();
        o.next.push(format!(
            "前納するには、{cutoff}「掛金前納申出書」を登録取扱機関（商工会議所・金融機関など）を通じて提出します。前納は毎年申し出が必要です。"
        ));
    }
    o.meaning.push("1年以内の前納であれば、前納した掛金は払った年の損金（個人事業主は必要経費）にできます。前納減額金は、受け取った年の益金（収入）になります。".into());
    if o.estimate {
        o.estimate_note = ESTIMATE_NOTE.to_string();
    }
    Ok(o)
}
