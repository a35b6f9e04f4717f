//! 経営セーフティ共済: the loan after a trading partner's bankruptcy (共済金貸付): eligibility,
//! limit, repayment period and the reduction of the premiums' worth.

use kyosai_domain::rules::RuleSet;
use kyosai_domain::simulation::{self as sim, BankruptcyLoanRequest};
use kyosai_domain::{FieldError, Program};

use kyosai_app::ja_text::{ja_date, ja_yen_man};

use super::form::{self, yen};
use super::member::ContractFacts;
use super::{Ctx, ESTIMATE_NOTE, Failure, Outcome, Spec, Values, row};
use crate::form_kit::{Field, Section};

pub(crate) const SPEC: Spec = Spec {
    path: "/calculators/safety-net/bankruptcy-loan",
    title: "経営セーフティ共済：取引先が倒産したときに借りられる額の計算",
    program: Program::SafetyNet,
    lead: "取引先が倒産して売掛金などが回収できなくなったとき、無担保・無保証人・無利子で借りられる共済金貸付の上限額の目安を計算します。",
    about,
    defaults,
    sections,
    compute,
    prefill,
};

fn about(rules: &RuleSet) -> Vec<String> {
    let Some(b) = rules.safety_net.as_ref().map(|s| &s.bankruptcy_loan) else {
        return Vec::new();
    };
    vec![
        format!(
            "借りられるのは、回収が難しくなった額と、納付した掛金総額の{}倍のうち少ないほうまでです（{}単位、貸付残高の合計は{}まで）。",
            b.premium_multiple.value,
            ja_yen_man(b.unit_yen.value),
            ja_yen_man(b.outstanding_cap_yen.value)
        ),
        format!(
            "倒産した日から{}か月以内の請求が必要です。加入後{}か月以上たち、掛金を{}か月分以上納付していることも条件です。",
            b.request_window_months.value,
            b.min_months_since_joining.value,
            b.min_months_paid.value
        ),
    ]
}

fn defaults() -> Vec<(&'static str, String)> {
    Vec::new()
}

fn prefill(c: &ContractFacts) -> Vec<(&'static str, String)> {
    vec![
        ("months_since_joining", c.months_since_joining.to_string()),
        ("months_paid", c.months_paid.to_string()),
        ("monthly_premium_yen", c.monthly_premium_yen.to_string()),
        ("total_paid_yen", c.total_paid_yen.to_string()),
    ]
}

fn sections(v: &Values, e: &[FieldError], rules: &RuleSet) -> Vec<Section> {
    vec![
        Section::new(
            "取引先の倒産について",
            vec![
                Field::date("bankruptcy_date", "取引先が倒産した日")
                    .hint("破産などの申立ての日、取引停止処分の日など。例：2026-04-10")
                    .fill(v, e),
                Field::date("request_date", "請求する日")
                    .hint("空欄なら今日として計算します。例：2026-05-20")
                    .optional()
                    .fill(v, e),
                Field::number("loss_yen", "回収が難しくなった売掛金などの額（円）")
                    .hint("その取引先への売掛金・受取手形などのうち、回収できなくなった額です。例：5000000")
                    .fill(v, e),
                Field::number("monthly_transactions_yen", "1か月あたりの総取引額（円）")
                    .hint("あなたの事業の月間の売上・仕入れなどの総額です。被害が少額かどうかの判定に使います。例：10000000")
                    .fill(v, e),
                Field::number("outstanding_loans_yen", "いま返済中の貸付残高（円）")
                    .hint("この共済から借りて返済中の額（共済金貸付・一時貸付金）。なければ空欄のままで構いません。")
                    .optional()
                    .fill(v, e),
            ],
        ),
        Section::new(
            "ご契約と掛金",
            vec![
                Field::number("months_since_joining", "加入してからの月数（か月）")
                    .hint("例：2年なら24")
                    .width("w-4")
                    .fill(v, e),
                Field::number("months_paid", "掛金を納付した月数（か月）")
                    .hint("前納して、まだその月が来ていない分は含めません。")
                    .width("w-4")
                    .fill(v, e),
                Field::number("monthly_premium_yen", "掛金月額（円）")
                    .hint(form::premium_hint(rules, "50000"))
                    .fill(v, e),
                Field::number("total_paid_yen", "納付した掛金の総額（円）")
                    .hint("例：掛金月額50,000円を24か月なら1200000")
                    .fill(v, e),
            ],
        ),
    ]
}

fn compute(v: &Values, ctx: &Ctx) -> Result<Outcome, Failure> {
    let mut errs = Vec::new();
    let bankruptcy_date = form::date(v, "bankruptcy_date", "取引先が倒産した日", false, &mut errs);
    let request_date = form::date(v, "request_date", "請求する日", true, &mut errs);
    let loss = form::amount(v, "loss_yen", "回収が難しくなった額", &mut errs);
    let transactions = form::amount(
        v,
        "monthly_transactions_yen",
        "1か月あたりの総取引額",
        &mut errs,
    );
    let outstanding = form::optional_amount(v, "outstanding_loans_yen", "貸付残高", &mut errs);
    let joined = form::count(v, "months_since_joining", "加入してからの月数", &mut errs);
    let paid = form::count(v, "months_paid", "納付した月数", &mut errs);
    // Without a request date the domain takes today; a bankruptcy after today is then reported
    // against the empty request date. Say what is wrong where it is.
    if request_date.is_none()
        && let Some(d) = bankruptcy_date
        && d > ctx.today
    {
        errs.push(FieldError::new(
            "bankruptcy_date",
            "future",
            "取引先が倒産した日に、今日より後の日付は入力できません。",
        ));
    }
    let premium = form::amount(v, "monthly_premium_yen", "掛金月額", &mut errs);
    let total = form::amount(v, "total_paid_yen", "掛金の総額", &mut errs);
    let req = BankruptcyLoanRequest {
        months_since_joining: joined.unwrap_or(0),
        months_paid: paid.unwrap_or(0),
        monthly_premium_yen: premium.unwrap_or(0),
        total_paid_yen: total.unwrap_or(0),
        loss_yen: loss.unwrap_or(0),
        outstanding_loans_yen: outstanding.unwrap_or(0),
        monthly_transactions_yen: transactions.unwrap_or(0),
        bankruptcy_date: bankruptcy_date.unwrap_or(ctx.today),
        request_date,
    };
    let r = Failure::check(
        errs,
        sim::safety_net_bankruptcy_loan(&req, ctx.book, ctx.today),
        str::to_string,
    )?;

    let mut o = if r.eligible {
        Outcome::new("借りられる額の上限の目安", yen(r.limit_yen), true)
    } else {
        Outcome::new("この条件では", "借りられません", false)
    };
    o = o.rules(r.estimate, &r.rule_set, ctx.book);
    let rules = ctx
        .book
        .in_force(Program::SafetyNet, ctx.today)
        .and_then(|s| s.safety_net.as_ref());
    o.reasons = r
        .reasons
        .iter()
        .map(|x| match (x.code, rules, bankruptcy_date) {
            // The domain writes the last day as `2025-07-01` (its text is the API's); the page
            // writes dates the Japanese way, as everywhere else.
            ("request_window", Some(sn), Some(d)) => {
                let months = sn.bankruptcy_loan.request_window_months.value;
                let last_day = d
                    .checked_add(jiff::Span::new().months(i64::from(months)))
                    .map_or_else(|_| String::new(), ja_date);
                format!("請求は取引先の倒産日から{months}か月以内（{last_day}まで）に行う必要があります。")
            }
            _ => x.message.clone(),
        })
        .collect();
    let (loan, temporary) = (
        rules.map(|s| &s.bankruptcy_loan),
        rules.map(|s| &s.temporary_loan),
    );
    if r.eligible {
        if let Some(years) = r.repayment_years {
            let grace = r
                .grace_months
                .map(|g| format!("（うち返済を始めるまでの据置期間{g}か月）"))
                .unwrap_or_default();
            o.rows.push(row(
                "返済期間",
                format!("{years}年{grace}、毎月同じ額を返済"),
            ));
        }
        if let Some(rate) = loan.map(|l| l.interest_rate.value) {
            o.rows.push(row(
                "利息",
                if rate.is_zero() {
                    "かかりません（無担保・無保証人）".to_string()
                } else {
                    format!("年{rate}（無担保・無保証人）")
                },
            ));
        }
        o.rows.push(row(
            "掛金総額から差し引かれる額",
            format!(
                "{}（上限額まで借りた場合。借りた額の{}）",
                yen(r.premium_reduction_yen),
                loan.map(|l| l.premium_reduction.value.to_string())
                    .unwrap_or_default()
            ),
        ));
        if let Some(l) = loan {
            o.meaning.push(format!("上限額までの範囲で、必要な額を{}単位で借りられます。借りた額の{}は掛金総額から差し引かれ、将来解約したときに戻る額が減ります。", ja_yen_man(l.unit_yen.value), l.premium_reduction.value));
            o.next.push(format!("取引先が倒産した日から{}か月以内に、登録取扱機関（商工会議所・商工会・金融機関など）を通じて「共済金貸付請求書」を提出します。", l.request_window_months.value));
        }
        o.next.push("売掛金元帳の写し、回収できなくなった手形・小切手の写し、倒産がわかる書類などが必要です。審査にはおよそ2週間かかります。".into());
    } else {
        o.meaning.push("上の理由により、入力した条件では共済金貸付を受けられません。日付や金額に誤りがないか確認してください。".into());
        if let Some(t) = temporary {
            o.next.push(format!("倒産がなくても、解約手当金の範囲内で借りられる一時貸付金があります（納付{}か月以上）。", t.min_months.value));
        }
        o.next
            .push("ご不明な点は、登録取扱機関または共済相談室にご相談ください。".into());
    }
    if o.estimate {
        o.estimate_note = ESTIMATE_NOTE.to_string();
    }
    Ok(o)
}
