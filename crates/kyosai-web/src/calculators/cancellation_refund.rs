//! 経営セーフティ共済: the cancellation refund (解約手当金) by cancellation type and months paid.

use kyosai_domain::rules::RuleSet;
use kyosai_domain::rules::safety_net::CancellationRules;
use kyosai_domain::safety_net::Cancellation;
use kyosai_domain::simulation::{self as sim, SafetyNetRefundRequest};
use kyosai_domain::{FieldError, Program};

use super::form::{self, months_text, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Values, link, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/safety-net/cancellation-refund",
    title: "経営セーフティ共済：解約したときに戻る額の計算",
    program: Program::SafetyNet,
    lead: "解約したときに受け取れる解約手当金の目安を、解約の種類・納付月数・掛金総額から計算します。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

const KINDS: [&str; 3] = ["voluntary", "deemed", "by_organization"];

/// The kinds as people choose them, with the months of the rule set in force.
fn kind_choices(rules: &RuleSet) -> Vec<(&'static str, String)> {
    let by_organization = match rules.safety_net.as_ref() {
        Some(s) => format!(
            "機構解約（掛金の{}か月以上の未納など）",
            s.termination_unpaid_months.value
        ),
        None => "機構解約（掛金の未納など）".to_string(),
    };
    KINDS
        .into_iter()
        .zip([
            "任意解約（自分から解約する）".to_string(),
            "みなし解約（個人事業主の死亡、会社の解散、事業の全部の譲渡など）".to_string(),
            by_organization,
        ])
        .collect()
}

/// `納付月数が40か月以上あれば、自分から解約しても掛金の全額が戻ります。`, from the table.
fn voluntary_full_refund(c: &CancellationRules) -> String {
    c.full_refund_from_months(Cancellation::Voluntary)
        .map(|from| {
            format!("納付月数が{from}か月以上あれば、自分から解約しても掛金の全額が戻ります。")
        })
        .unwrap_or_default()
}

fn about(rules: &RuleSet) -> Vec<String> {
    let Some(c) = rules.safety_net.as_ref().map(|s| &s.cancellation) else {
        return Vec::new();
    };
    vec![format!(
        "{}{}か月未満では戻りません。",
        voluntary_full_refund(c),
        c.min_months.value
    )]
}

fn defaults() -> Vec<(&'static str, String)> {
    vec![("cancellation", "voluntary".into())]
}

fn prefill(c: &ContractFacts) -> Vec<(&'static str, String)> {
    vec![
        ("months_paid", c.months_paid.to_string()),
        ("total_paid_yen", c.total_paid_yen.to_string()),
    ]
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    vec![
        Section::new(
            "解約の種類",
            vec![
                Field::text("cancellation", "どのように解約しますか")
                    .kind("radio")
                    .choices(kind_choices(rules))
                    .fill(v, e),
            ],
        ),
        Section::new(
            "これまでの掛金",
            vec![
                Field::number("months_paid", "掛金を納付した月数（か月）")
                    .hint("前納して、まだその月が来ていない分は含めません。例：24")
                    .width("w-4")
                    .fill(v, e),
                Field::number("total_paid_yen", "納付した掛金の総額（円）")
                    .hint("例：掛金月額50,000円を24か月なら1200000")
                    .fill(v, e),
                Field::number(
                    "bankruptcy_loans_received_yen",
                    "これまでに受けた共済金貸付の額（円）",
                )
                .hint("取引先の倒産で借りた額の合計です。借りていなければ空欄のままで構いません。")
                .optional()
                .fill(v, e),
            ],
        ),
    ]
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let kind =
        form::choice(v, "cancellation", "解約の種類", &KINDS, &mut errs).and_then(|k| match k {
            "voluntary" => Some(Cancellation::Voluntary),
            "deemed" => Some(Cancellation::Deemed),
            "by_organization" => Some(Cancellation::ByOrganization),
            _ => None,
        });
    let months = form::count(v, "months_paid", "納付月数", &mut errs);
    let total = form::amount(v, "total_paid_yen", "掛金の総額", &mut errs);
    let loans = form::optional_amount(
        v,
        "bankruptcy_loans_received_yen",
        "共済金貸付の額",
        &mut errs,
    );
    let cancellation = kind.unwrap_or(Cancellation::Voluntary);
    let (months_paid, total_paid_yen) = (months.unwrap_or(0), total.unwrap_or(0));
    let req = SafetyNetRefundRequest {
        cancellation,
        months_paid,
        total_paid_yen,
        bankruptcy_loans_received_yen: loans.unwrap_or(0),
    };
    let r = Failure::check(
        errs,
        sim::safety_net_cancellation_refund(&req, ctx.book, ctx.today),
        str::to_string,
    )?;

    let mut o = Outcome::new(
        "戻る額（解約手当金）の目安",
        yen(r.amount_yen),
        r.amount_yen > 0,
    )
    .rules(r.estimate, &r.rule_set, ctx.book);
    let rules = ctx
        .book
        .by_id(&r.rule_set)
        .and_then(|s| s.safety_net.as_ref())
        .map(|s| &s.cancellation);
    o.rows.push(row("解約の種類", cancellation.name_ja()));
    o.rows.push(row("納付月数", months_text(months_paid)));
    o.rows.push(row("支給率", r.rate_percent.0.to_string()));
    o.rows
        .push(row("計算のもとになる掛金総額", yen(r.base_yen)));
    if r.base_yen != total_paid_yen {
        o.meaning.push(format!(
            "共済金貸付を受けた場合、借りた額の{}が掛金総額から差し引かれます（{} → {}）。",
            rules
                .map(|c| c.loan_deduction.value.to_string())
                .unwrap_or_default(),
            yen(total_paid_yen),
            yen(r.base_yen)
        ));
    }
    if r.amount_yen == 0 {
        if let Some(c) = rules {
            o.meaning.push(format!(
                "納付月数が{}か月未満のため、解約手当金はありません（掛金は戻りません）。",
                c.min_months.value
            ));
        }
    } else {
        let full = rules
            .and_then(|c| c.full_refund_from_months(Cancellation::Voluntary))
            .map(|from| format!("任意解約では、{from}か月以上納付していれば掛金の全額が戻ります。"))
            .unwrap_or_default();
        o.meaning.push(format!(
            "解約手当金は、掛金総額に、納付月数と解約の種類で決まる支給率（今回は{}）をかけた額です。{full}",
            r.rate_percent.0
        ));
    }
    o.meaning.push("掛金は納付したときに損金（個人事業主は必要経費）になっているため、受け取った解約手当金は、法人は益金、個人事業主は事業所得として課税されます。".into());
    o.next.push("解約の前に、取引先の倒産に備える保障がなくなることをご確認ください。解約せずに資金を借りられる一時貸付金もあります。".into());
    o.next.push("解約は、登録取扱機関（商工会議所・金融機関など）を通じて手続きします。前納減額金がある場合は、解約手当金と一緒に支払われます。".into());
    o.links.push(link(
        format!(
            "/calculators/safety-net/temporary-loan?months_paid={months_paid}&total_paid_yen={total_paid_yen}"
        ),
        "解約せずに借りられる額（一時貸付金）を計算する",
    ));
    if o.estimate {
        o.estimate_note = ESTIMATE_NOTE.to_string();
    }
    Ok(o)
}
