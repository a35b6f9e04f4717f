//! 小規模企業共済: the benefit (共済金A・B, 準共済金) or the cancellation refund (解約手当金) for a
//! premium history of up to five periods.

use kyosai_domain::FieldError;
use kyosai_domain::Program;
use kyosai_domain::rules::RuleSet;
use kyosai_domain::simulation::{self as sim, BenefitReason, HistoryEntry};

use super::form::{self, months_text, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Table, Values, link, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/small-enterprise/benefit",
    title: "小規模企業共済：受け取れる共済金の計算",
    program: Program::SmallEnterprise,
    lead: "やめるとき・引退するときに受け取れる共済金（または解約手当金）の目安を、掛金月額と納付した月数から計算します。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

const PREMIUM: [&str; 5] = [
    "h1_premium",
    "h2_premium",
    "h3_premium",
    "h4_premium",
    "h5_premium",
];
const MONTHS: [&str; 5] = [
    "h1_months",
    "h2_months",
    "h3_months",
    "h4_months",
    "h5_months",
];
const ORDINAL: [&str; 5] = ["1つ目", "2つ目", "3つ目", "4つ目", "5つ目"];

const REASONS: [&str; 6] = [
    "A",
    "B",
    "quasi",
    "voluntary_cancellation",
    "cancellation_by_organization",
    "deemed_cancellation",
];

/// The reasons as people choose them, with the ages and months of the rule set in force.
fn reason_choices(rules: &RuleSet) -> Vec<(&'static str, String)> {
    let labels = match rules.small_enterprise.as_ref() {
        Some(se) => {
            let age = se.benefit.b_from_age.value;
            [
                "共済金A（個人事業の廃業、会社の解散、死亡など）".to_string(),
                format!(
                    "共済金B（{age}歳以上で{}か月以上納付した老齢給付、病気・けがによる役員の退任など）",
                    se.benefit.old_age_min_months.value
                ),
                format!(
                    "準共済金（法人成りで加入資格がなくなった、{age}歳未満で自分から役員を退任したなど）"
                ),
                "解約手当金（自分から解約する）".to_string(),
                format!(
                    "解約手当金（掛金の{}か月以上の未納などによる機構解約）",
                    se.arrears.termination_unpaid_months.value
                ),
                "解約手当金（みなし解約：準共済金にあたる事由で契約が終わる場合）".to_string(),
            ]
        }
        None => [
            "共済金A",
            "共済金B",
            "準共済金",
            "解約手当金（任意解約）",
            "解約手当金（機構解約）",
            "解約手当金（みなし解約）",
        ]
        .map(str::to_string),
    };
    REASONS.into_iter().zip(labels).collect()
}

fn about(_: &RuleSet) -> Vec<String> {
    vec![
        "請求の理由と、これまでの掛金月額・納付月数を入力してください。掛金月額を変えたことがある場合は、期間ごとに古い順で入力します（最大5つ）。".into(),
        "掛金月額と納付月数は、毎年届く「掛金納付状況のお知らせ」で確認できます。".into(),
    ]
}

fn defaults() -> Vec<(&'static str, String)> {
    Vec::new()
}

fn prefill(c: &ContractFacts) -> Vec<(&'static str, String)> {
    let mut v = vec![("h1_premium", c.monthly_premium_yen.to_string())];
    if c.months_paid > 0 {
        v.push(("h1_months", c.months_paid.to_string()));
    }
    v
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    let period = |i: usize| {
        let mut premium =
            Field::number(PREMIUM[i], format!("{}の期間の掛金月額（円）", ORDINAL[i]));
        let mut months =
            Field::number(MONTHS[i], format!("{}の期間の納付月数（か月）", ORDINAL[i]))
                .width("w-4");
        if i == 0 {
            premium = premium.hint(form::premium_hint(rules, "10000"));
            months = months.hint("その掛金月額で納付した月数。例：5年なら60");
        } else {
            premium = premium.optional();
            months = months.optional();
        }
        [premium.fill(v, e), months.fill(v, e)]
    };
    vec![
        Section::new(
            "請求の理由",
            vec![
                Field::text("reason", "どのような理由で受け取りますか").kind("select").choices(reason_choices(rules))
                    .hint("理由によって受け取れる額が変わります。迷ったら共済金Aで試してください。")
                    .fill(v, e),
            ],
        ),
        Section::new("掛金の履歴（古い順）", period(0).into()).hint(
            "掛金月額を変えたことがなければ、ここだけ入力してください。",
        ),
        Section::new(
            "掛金月額を変えたことがある場合（2つ目以降の期間）",
            (1..5).flat_map(period).collect(),
        )
        .hint("変更後の掛金月額と、その月額で納付した月数を古い順に入力します。")
        .collapsible(),
        Section::new(
            "付加共済金",
            vec![
                Field::number("fiscal_year", "付加共済金を計算する年度")
                    .hint("運用収入に応じて年度ごとに決まる上乗せ分です。入力しなければ計算に含めません。例：2026")
                    .width("w-4")
                    .optional()
                    .fill(v, e),
            ],
        ),
    ]
}

fn reason_of(v: &str) -> Option<BenefitReason> {
    Some(match v {
        "A" => BenefitReason::A,
        "B" => BenefitReason::B,
        "quasi" => BenefitReason::Quasi,
        "voluntary_cancellation" => BenefitReason::VoluntaryCancellation,
        "cancellation_by_organization" => BenefitReason::CancellationByOrganization,
        "deemed_cancellation" => BenefitReason::DeemedCancellation,
        _ => return None,
    })
}

/// `history[2].months` → the form field of the period that became entry 2.
fn rename(field: &str, periods: &[usize]) -> String {
    let entry = field
        .strip_prefix("history[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(i, name)| Some((i.parse::<usize>().ok()?, name)));
    match entry {
        Some((i, ".monthly_premium_yen")) => {
            PREMIUM[periods.get(i).copied().unwrap_or(0)].to_string()
        }
        Some((i, _)) => MONTHS[periods.get(i).copied().unwrap_or(0)].to_string(),
        None if field == "history" => MONTHS[0].to_string(),
        None => field.to_string(),
    }
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let reason = form::choice(v, "reason", "請求の理由", &REASONS, &mut errs).and_then(reason_of);
    let mut history = Vec::new();
    let mut periods = Vec::new();
    for i in 0..5 {
        if i > 0 && form::text(v, PREMIUM[i]).is_empty() && form::text(v, MONTHS[i]).is_empty() {
            continue;
        }
        let premium = form::amount(
            v,
            PREMIUM[i],
            &format!("{}の期間の掛金月額", ORDINAL[i]),
            &mut errs,
        );
        let months = form::count(
            v,
            MONTHS[i],
            &format!("{}の期間の納付月数", ORDINAL[i]),
            &mut errs,
        );
        // A part that could not be read still has its entry (a placeholder), so the domain
        // checks the other part and the entries keep their periods.
        history.push(HistoryEntry {
            monthly_premium_yen: premium.unwrap_or(0),
            months: months.unwrap_or(0),
        });
        periods.push(i);
    }
    let fiscal_year = form::optional_count(v, "fiscal_year", "年度", &mut errs);
    let reason = reason.unwrap_or(BenefitReason::A);
    let req = sim::BenefitRequest {
        reason,
        history,
        fiscal_year,
    };
    let r = Failure::check(
        errs,
        sim::small_enterprise_benefit(&req, ctx.book, ctx.today),
        |f| rename(f, &periods),
    )?;

    let refund = matches!(
        reason,
        BenefitReason::VoluntaryCancellation | BenefitReason::CancellationByOrganization
    );
    let name = match reason {
        BenefitReason::A => "共済金A",
        BenefitReason::B => "共済金B",
        BenefitReason::Quasi => "準共済金",
        _ => "解約手当金",
    };
    let mut o = Outcome::new(
        format!("受け取れる{name}の目安"),
        yen(r.amount_yen),
        r.amount_yen > 0,
    )
    .rules(r.estimate, &r.rule_set, ctx.book);
    let Some(se) = ctx
        .book
        .by_id(&r.rule_set)
        .and_then(|s| s.small_enterprise.as_ref())
    else {
        return Err(Failure::Internal);
    };
    o.rows.push(row(
        "納付した掛金の合計",
        format!(
            "{}（{}）",
            yen(r.total_paid_yen),
            months_text(i64::from(r.months_paid))
        ),
    ));
    if !refund {
        o.rows.push(row("基本共済金", yen(r.base_yen)));
        o.rows.push(row(
            "付加共済金",
            match fiscal_year {
                Some(fy) => format!("{}（{fy}年度の支給率で計算）", yen(r.bonus_yen)),
                None => "計算に含めていません（年度を入力すると計算します）".to_string(),
            },
        ));
    }
    if r.total_paid_yen > 0 {
        let per_mille = r.amount_yen.saturating_mul(1000) / r.total_paid_yen;
        o.rows.push(row(
            "掛金の合計に対する割合",
            format!("{}.{}%", per_mille / 10, per_mille % 10),
        ));
    }
    if r.tranches.len() > 1 {
        o.table = Some(Table {
            caption: "掛金の区分ごとの内訳（増額した分は、増額した月からの月数で計算します）"
                .into(),
            head: vec!["掛金月額のうち".into(), "納付月数".into(), "金額".into()],
            rows: r
                .tranches
                .iter()
                .map(|t| {
                    vec![
                        format!(
                            "{}分",
                            yen(i64::from(t.units).saturating_mul(se.benefit.unit_yen.value.get()))
                        ),
                        months_text(i64::from(t.months_paid)),
                        yen(t.amount_yen),
                    ]
                })
                .collect(),
        });
    }
    if r.amount_yen == 0 {
        let (min_months, what) = if refund {
            (se.cancellation.min_months.value, "解約手当金")
        } else if reason == BenefitReason::Quasi {
            (se.benefit.min_months_quasi.value, "準共済金")
        } else {
            (se.benefit.min_months_a_b.value, "共済金")
        };
        o.meaning.push(format!(
            "納付月数が{min_months}か月未満のため、{what}はありません（掛金は戻りません）。"
        ));
    } else if refund {
        let c = &se.cancellation;
        if let (Some(lowest), Some(full)) = (c.min_paid_rate(), c.full_refund_from_months()) {
            o.meaning.push(format!(
                "解約手当金は、掛金の合計に、納付月数に応じた支給割合（{lowest}から{}）をかけた額です。納付月数が{}未満で解約すると、掛金の合計を下回ります。",
                c.max_rate.value,
                months_text(i64::from(full))
            ));
        }
        o.meaning.push(format!(
            "{}歳未満で自分から解約した場合、解約手当金は一時所得として課税されます。",
            c.retirement_income_from_age.value
        ));
    } else {
        o.meaning.push(format!(
            "{name}は、掛金の合計に、納付月数に応じた額を上乗せして支払われます。納付月数が{}か月未満の分は、掛金の合計と同じ額です。",
            se.benefit.premiums_only_below_months.value
        ));
        o.meaning.push("一括で受け取る場合は退職所得、分割で受け取る場合は公的年金等の雑所得として扱われ、税負担が軽くなります。".into());
    }
    if refund {
        o.next.push(format!("解約する前に、廃業や{}歳以上での引退など、共済金A・Bを受け取れる理由に当たらないか確かめてください。共済金のほうが多く受け取れます。", se.benefit.b_from_age.value));
        o.next.push("事業資金が必要なだけなら、解約せずに、納付した掛金の範囲内で借りられる契約者貸付制度もあります。".into());
        o.next
            .push("解約の手続きは、マイページまたは共済相談室にご相談ください。".into());
    } else {
        o.next.push("受け取り方は、一括・分割・一括と分割の併用から選べます（年齢と金額の条件があります）。下のリンクで、この額で選べる方法を確かめられます。".into());
        o.next.push("請求は、理由が生じた後に「共済金等請求書」で行います。手続きは共済相談室にご相談ください。".into());
        if r.amount_yen > 0 {
            o.links.push(link(
                format!(
                    "/calculators/small-enterprise/payout-options?reason={}&net_amount_yen={}",
                    form::text(v, "reason"),
                    r.amount_yen
                ),
                "この額で受け取り方を確かめる",
            ));
        }
    }
    if o.estimate {
        // The same claim without the bonus year tells whether the table itself was provisional
        // or only the 付加共済金 rate of that year.
        let table_estimate = fiscal_year.is_none()
            || sim::small_enterprise_benefit(
                &sim::BenefitRequest {
                    fiscal_year: None,
                    ..req
                },
                ctx.book,
                ctx.today,
            )
            .map_or(true, |r| r.estimate);
        o.estimate_note = if refund {
            ESTIMATE_NOTE.to_string()
        } else if let (false, Some(fy)) = (table_estimate, fiscal_year) {
            format!(
                "{fy}年度の付加共済金の支給率がまだ公表・確認されていないため、付加共済金を含めずに計算しています。基本共済金は公表されている額です。付加共済金の額は、請求の際に中小機構が計算してお知らせします。"
            )
        } else {
            "共済金の額を決める法令の表（小規模企業共済法施行令 別表第一）がまだ手元にないため、公表されている掛金月額10,000円の例から作った暫定の表で計算しています。実際の金額とは異なることがあります。正確な金額は、請求の際に中小機構が計算してお知らせします。".to_string()
        };
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_field_names_become_form_field_names() {
        // Periods 1 and 3 were entered (period 2 left empty).
        let periods = [0, 2];
        assert_eq!(
            rename("history[1].monthly_premium_yen", &periods),
            "h3_premium"
        );
        assert_eq!(rename("history[0].months", &periods), "h1_months");
        assert_eq!(rename("history", &periods), "h1_months");
        assert_eq!(rename("fiscal_year", &periods), "fiscal_year");
    }
}
