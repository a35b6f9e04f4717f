//! 小規模企業共済: which payout forms (一括・分割・併用) a benefit may take.

use kyosai_domain::rules::RuleSet;
use kyosai_domain::simulation::{self as sim, PayoutOptionsRequest};
use kyosai_domain::small_enterprise::ClaimReason;
use kyosai_domain::{FieldError, Program};

use super::form::{self, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Values, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/small-enterprise/payout-options",
    title: "小規模企業共済：共済金の受け取り方の確認",
    program: Program::SmallEnterprise,
    lead: "共済金を一括で受け取るか、分割で受け取るか、両方を組み合わせるか。年齢と金額から、選べる受け取り方を確かめます。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

const REASONS: [&str; 3] = ["A", "B", "quasi"];

/// The kinds as people choose them, with the age of the rule set in force.
fn reason_choices(rules: &RuleSet) -> Vec<(&'static str, String)> {
    let quasi = match rules.small_enterprise.as_ref() {
        Some(se) => format!(
            "準共済金（法人成り、{}歳未満での任意の退任など）",
            se.benefit.b_from_age.value
        ),
        None => "準共済金（法人成り、任意の退任など）".to_string(),
    };
    REASONS
        .into_iter()
        .zip([
            "共済金A（廃業、会社の解散、死亡など）".to_string(),
            "共済金B（老齢給付、病気・けがによる役員の退任など）".to_string(),
            quasi,
        ])
        .collect()
}

fn about(_: &RuleSet) -> Vec<String> {
    vec![
        "受け取る額がわからないときは、先に「受け取れる共済金の計算」で目安を出してください。"
            .into(),
    ]
}

fn defaults() -> Vec<(&'static str, String)> {
    Vec::new()
}

/// Nothing on the contract tells the age or the amount at the time of the claim.
fn prefill(_: &ContractFacts) -> Vec<(&'static str, String)> {
    Vec::new()
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    vec![Section::new(
        "受け取る共済金について",
        vec![
            Field::text("reason", "共済金の種類").kind("radio").choices(reason_choices(rules)).fill(v, e),
            Field::number("age_at_event", "請求の理由が生じた日の年齢（歳）")
                .hint("廃業した日や退任した日の満年齢です。例：62")
                .width("w-4")
                .fill(v, e),
            Field::number("net_amount_yen", "受け取る額（円）")
                .hint("共済金から、契約者貸付の未返済額や未納の掛金などを差し引いた額です。例：3300000")
                .fill(v, e),
            Field::checkbox("death", "死亡による請求です（ご遺族が受け取ります）").fill(v, e),
        ],
    )]
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let reason =
        form::choice(v, "reason", "共済金の種類", &REASONS, &mut errs).and_then(|r| match r {
            "A" => Some(ClaimReason::A),
            "B" => Some(ClaimReason::B),
            "quasi" => Some(ClaimReason::Quasi),
            _ => None,
        });
    let age = form::count(v, "age_at_event", "年齢", &mut errs);
    let net = form::amount(v, "net_amount_yen", "受け取る額", &mut errs);
    let reason = reason.unwrap_or(ClaimReason::A);
    let net_amount_yen = net.unwrap_or(0);
    let req = PayoutOptionsRequest {
        reason,
        age_at_event: age.unwrap_or(0),
        net_amount_yen,
        death: form::is_on(form::text(v, "death")),
    };
    let r = Failure::check(
        errs,
        sim::small_enterprise_payout_options(&req, ctx.book, ctx.today),
        str::to_string,
    )?;

    let mut forms = vec![];
    if r.lump_sum {
        forms.push("一括");
    }
    if r.instalments {
        forms.push("分割");
    }
    if r.combined {
        forms.push("一括と分割の併用");
    }
    let answer = match forms.as_slice() {
        [] => "選べる受け取り方はありません".to_string(),
        ["一括"] => "一括のみ".to_string(),
        all => all.join("・"),
    };
    let mut o = Outcome::new("選べる受け取り方", answer, !forms.is_empty()).rules(
        r.estimate,
        &r.rule_set,
        ctx.book,
    );
    let can = |b: bool| if b { "選べます" } else { "選べません" };
    let years = r
        .instalment_years
        .iter()
        .map(|y| format!("{y}年"))
        .collect::<Vec<_>>()
        .join("または");
    let months = r
        .instalment_months
        .iter()
        .map(|m| format!("{m}月"))
        .collect::<Vec<_>>()
        .join("・");
    o.rows.push(row("一括で受け取る", can(r.lump_sum)));
    o.rows.push(row(
        "分割で受け取る",
        if r.instalments {
            format!(
                "選べます（{years}、年{}回：{months}）",
                r.instalment_months.len()
            )
        } else {
            can(false).to_string()
        },
    ));
    o.rows.push(row("一括と分割を併用する", can(r.combined)));

    let payout = ctx
        .book
        .in_force(Program::SmallEnterprise, ctx.today)
        .and_then(|s| s.small_enterprise.as_ref())
        .map(|s| &s.payout);
    if let Some(p) = payout {
        o.meaning.push(format!(
            "分割で受け取れるのは共済金A・Bで、請求の理由が生じた日に{}歳以上、受け取る額が{}以上の場合です（死亡による請求を除きます）。",
            p.instalment_min_age.value, p.instalment_min_net_yen.value
        ));
        o.meaning.push(format!(
            "併用は、受け取る額が{}以上で、一括の分を{}以上、分割の分を{}以上にできる場合に選べます。",
            p.combined_min_net_yen.value,
            p.combined_min_lump_sum_yen.value,
            p.combined_min_instalment_yen.value
        ));
    }
    if reason == ClaimReason::Quasi {
        o.meaning
            .push("準共済金は一括でのみ受け取れます。".to_string());
    }
    o.meaning.push(format!(
        "入力した額 {} での判定です。一括で受け取る分は退職所得、分割で受け取る分は公的年金等の雑所得として課税されます。",
        yen(net_amount_yen)
    ));
    o.next
        .push("受け取り方は、請求のときに「共済金等請求書」の受取方法の欄で選びます。".into());
    if r.instalments {
        o.next.push("分割を始めると、原則として途中で一括に変えることはできません。税金の扱いも含めて、税理士などにご相談のうえお選びください。".into());
    }
    if o.estimate {
        o.estimate_note = ESTIMATE_NOTE.to_string();
    }
    Ok(o)
}
