//! 任意解約 (the member's voluntary cancellation) and みなし解約 recorded by staff (issue #10,
//! procedure 5; REFERENCE §3.4, §5.3, §5.4, §2.3).
//!
//! The member first sees a quote ([`App::cancellation_quote`]): the refund worked out from the
//! contract's own collected premiums by the rule set in force (小規模 per tranche, 倒産防止 by
//! months paid), net of loans, plus any open 前納減額金, the payment date and the notices to read
//! before confirming (the 倒産防止 two-year tax rule among them). Submitting sends the quoted
//! amount back: when it still equals the quote the cancellation is completed in the same
//! request (procedure `cancellation` on the framework): the contract is cancelled today, the
//! refund recorded as payable with its `refunded` ledger entry, the open 前納減額金 settled, the
//! member mailed and the change audited, all in one transaction. When the amount no longer
//! matches (a debit was collected meanwhile), `quote_changed` and nothing is stored.
//!
//! Billing walks active contracts only, so the contract's later bills stop at once: no month is
//! billed after the cancellation, while a bill line already made (its cut-off passed) stays and
//! is debited; premiums collected after the refund was worked out are returned later by the same
//! method (REFERENCE §2.7 "Collection lag").
//!
//! Staff record deemed cancellations ([`App::record_deemed_cancellation`]): one step, by an
//! approver, with the reason and a note; the rates are the rule set's.

use jiff::civil::Date;
use kyosai_docs::pdf::data::Letter;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rate::Rate;
use kyosai_domain::rules::RuleSet;
use kyosai_domain::safety_net::tax;
use kyosai_domain::schedule;
use kyosai_domain::termination::{CancellationKind, DeemedReason};
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, ContractStatus, Procedure, Program, Yen,
};
use kyosai_store::contracts::{self, Contract};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::internal;
use crate::form_parser::{Parser, text};
use crate::ja_text::{ja_date, ja_month};
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    active_contract, contract_subject, ensure_no_pending, subject_contract,
};
use crate::review::{require_approver, require_staff};
use crate::termination::{RefundLinks, RefundPlan};
use crate::{Actor, App, AppError};

/// What a cancellation today would pay, and what the member must know before confirming
/// (`GET /api/v1/contracts/{number}/cancellation-quote`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancellationQuote {
    #[serde(skip)]
    pub contract_number: String,
    #[serde(skip)]
    pub program: Program,
    /// What will be paid: the 解約手当金 by the rules, less loans, plus 前納減額金.
    pub refund_yen: i64,
    pub months_paid: u32,
    pub total_paid_yen: i64,
    pub loans_deducted_yen: i64,
    pub prepayment_discount_yen: i64,
    /// A provisional rate or table went into the amount (概算).
    pub estimate: bool,
    /// When the refund is transferred to the member's registered account.
    pub payment_date: Date,
    /// What to read before confirming (Japanese), with figures from the rule set in force.
    pub notices: Vec<String>,
}

impl CancellationQuote {
    /// The 解約手当金 part (net of loans), without the 前納減額金.
    pub fn cancellation_refund_yen(&self) -> i64 {
        self.refund_yen - self.prepayment_discount_yen
    }
}

/// The cancellation as submitted: the amount the member saw on the quote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancellationForm {
    /// The quoted `refund_yen` (a number, or digits as text).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub refund_yen: Option<String>,
}

/// The quoted amount, typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedRefund(pub Yen);

/// The largest amount accepted as a quoted refund (above any possible refund: 800万 cap).
const MAX_REFUND_YEN: i64 = 100_000_000_000;

impl CancellationForm {
    pub fn parse(&self) -> Result<QuotedRefund, AppError> {
        let mut p = Parser { errors: Vec::new() };
        match p.yen(
            "refund_yen",
            &self.refund_yen,
            "お支払い予定額",
            MAX_REFUND_YEN,
        ) {
            Some(y) if p.errors.is_empty() => Ok(QuotedRefund(Yen::new(y))),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// The answer to a cancellation (`POST /api/v1/contracts/{number}/cancellation`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancellationDone {
    #[serde(skip)]
    pub program: Program,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    /// What will be paid (解約手当金 net of loans plus 前納減額金).
    pub refund_yen: i64,
    pub contract_status: ContractStatus,
    /// When the refund is transferred (None while the application waits for staff).
    pub payment_date: Option<Date>,
}

impl Outcome for CancellationDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// A deemed cancellation as staff record it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeemedForm {
    /// A [`DeemedReason`] identifier.
    pub reason: Option<String>,
    /// What staff saw (the document received, the date of the event…).
    pub note: Option<String>,
}

/// The longest note kept with a deemed cancellation.
const MAX_NOTE: usize = 1000;

/// What recording a deemed cancellation did.
#[derive(Debug, Clone, Serialize)]
pub struct DeemedDone {
    pub contract_number: String,
    pub program: Program,
    pub reason: DeemedReason,
    pub cancelled_on: Date,
    /// Paid in total: 解約手当金 plus 前納減額金.
    pub refund_yen: i64,
    pub prepayment_discount_yen: i64,
    pub months_paid: u32,
    pub total_paid_yen: i64,
    /// 倒産防止: the みなし解約 rate applied.
    pub rate: Option<String>,
    pub estimate: bool,
    pub payment_date: Date,
}

/// What the staff page for recording a deemed cancellation shows first.
#[derive(Debug, Clone, Serialize)]
pub struct DeemedContext {
    pub contract_number: String,
    pub program: Program,
    pub holder_name: String,
    pub business_name: String,
    /// The reasons of the contract's program.
    pub reasons: Vec<DeemedReason>,
    /// How the rule set in force values them.
    pub rates: Vec<String>,
}

/// The deemed reasons staff may choose for a contract of `program`, with their names.
pub fn deemed_reasons(program: Program) -> Vec<DeemedReason> {
    DeemedReason::ALL
        .into_iter()
        .filter(|r| r.program() == program)
        .collect()
}

/// How the rule set in force values each deemed reason, for the staff page.
pub fn deemed_rates_ja(rules: &RuleSet) -> Vec<String> {
    match (&rules.small_enterprise, &rules.safety_net) {
        (Some(se), _) => {
            let c = &se.cancellation;
            vec![
                format!(
                    "{}：任意解約と同じ支給割合（掛金区分ごと、{}か月以上で掛金合計額の{}〜{}）。",
                    DeemedReason::IncorporationOfficer.name_ja(),
                    c.min_months.value,
                    c.rates
                        .value
                        .band(c.min_months.value)
                        .map_or(Rate::ZERO, |b| b.rate),
                    c.max_rate.value
                ),
                format!(
                    "{}：掛金区分ごとに、納付{}か月未満は掛金合計額、それ以上は政令の額（暫定表）。{}か月未満は支給なし。",
                    DeemedReason::QuasiBenefitCase.name_ja(),
                    c.deemed_premiums_only_below_months.value,
                    c.min_months.value
                ),
                "契約者の死亡は解約ではなく、共済金A（ご遺族への共済金）の請求です。".into(),
            ]
        }
        (None, Some(sn)) => sn
            .cancellation
            .deemed
            .value
            .0
            .iter()
            .map(|b| match b.to {
                Some(to) => format!("納付{}〜{}か月：{}", b.from, to, b.rate),
                None => format!("納付{}か月以上：{}", b.from, b.rate),
            })
            .collect(),
        (None, None) => Vec::new(),
    }
}

impl App {
    /// The refund a 任意解約 today would pay, with its notices (read only). The contract's
    /// member or staff; anyone else gets NotFound; a cancelled contract `contract_not_active`.
    pub async fn cancellation_quote(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<CancellationQuote, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        self.quote_for(&mut conn, &c).await
    }

    async fn quote_for(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
    ) -> Result<CancellationQuote, AppError> {
        let plan = self
            .plan_refund(conn, c.id, c.program, CancellationKind::Voluntary)
            .await?;
        Ok(CancellationQuote {
            contract_number: c.number.clone(),
            program: c.program,
            refund_yen: plan.payable().get(),
            months_paid: plan.refund.months_paid,
            total_paid_yen: plan.refund.total_paid.get(),
            loans_deducted_yen: plan.refund.loans_deducted.get(),
            prepayment_discount_yen: plan.discount.get(),
            estimate: plan.estimate(),
            payment_date: plan.payment_date,
            notices: self.notices(&plan)?,
        })
    }

    /// What the member must know before confirming, with the rule set's figures.
    fn notices(&self, plan: &RefundPlan) -> Result<Vec<String>, AppError> {
        let rules = &plan.rules;
        let r = &plan.refund;
        let today = self.clock.today();
        let mut out =
            vec!["解約のお手続きが完了すると、この共済契約は元に戻せません。".to_string()];
        match (&rules.small_enterprise, &rules.safety_net) {
            (Some(se), _) => {
                let c = &se.cancellation;
                if r.months_paid < c.min_months.value {
                    out.push(format!(
                        "掛金納付月数が{}か月未満のため、解約手当金はありません（掛金は戻りません）。",
                        c.min_months.value
                    ));
                } else if let Some(full) = c.rates.value.0.iter().find(|b| b.rate >= Rate::ONE) {
                    out.push(format!(
                        "解約手当金は掛金区分（増額・減額ごとの区分）ごとに、納付月数に応じた支給割合で計算します。納付{}か月未満の区分は掛金合計額を下回ります（{}か月以上で{}以上、最高{}）。",
                        full.from, full.from, full.rate, c.max_rate.value
                    ));
                }
                out.push(format!(
                    "任意解約の解約手当金は、解約時の年齢が{age}歳未満の方は一時所得、{age}歳以上の方は退職所得として課税されます。",
                    age = c.retirement_income_from_age.value
                ));
            }
            (None, Some(sn)) => {
                let c = &sn.cancellation;
                if r.months_paid < c.min_months.value {
                    out.push(format!(
                        "掛金納付月数が{}か月未満のため、解約手当金はありません（掛金は戻りません）。",
                        c.min_months.value
                    ));
                } else if let Some(rate) = r.rate {
                    let full = c
                        .full_refund_from_months(
                            kyosai_domain::rules::safety_net::Cancellation::Voluntary,
                        )
                        .map(|m| format!("（納付{m}か月以上で100%）"))
                        .unwrap_or_default();
                    out.push(format!(
                        "掛金納付月数{}か月の任意解約の支給率は{rate}です{full}。",
                        r.months_paid
                    ));
                }
                out.push(
                    "解約手当金は、法人は益金、個人事業主は事業所得の収入として課税されます。"
                        .into(),
                );
                if let Some(until) = tax::non_deductible_until(&sn.tax, today) {
                    out.push(format!(
                        "{}以後の解約のため、解約日から{}年を経過する日（{}）までに新たに加入して支払う掛金は、損金・必要経費に算入できません（租税特別措置法第66条の11）。",
                        ja_date(sn.tax.from_cancellations_on.value),
                        sn.tax.non_deductible_years.value,
                        ja_date(until)
                    ));
                }
            }
            (None, None) => {}
        }
        if r.loans_deducted > Yen::ZERO {
            out.push(format!(
                "貸付金に関する控除額{}を差し引いています。",
                r.loans_deducted
            ));
        }
        if plan.discount > Yen::ZERO {
            out.push(format!(
                "前納減額金{}を、解約手当金と合わせてお支払いします。",
                plan.discount
            ));
        }
        let program = rules.program;
        for l in plan
            .lines
            .iter()
            .filter(|l| l.result == kyosai_domain::billing::LineResult::Pending)
        {
            let billing = self.billing_rules(program, l.month)?;
            out.push(format!(
                "{}分の請求はすでに確定しているため、{}に{}が引き落とされます。解約手当金の計算後に収納された掛金は、後日同じ口座へお返しします。",
                ja_month(l.month),
                ja_date(schedule::debit_date(&billing.collection, &self.calendar, l.month)),
                l.amount
            ));
        }
        out.push(format!(
            "{}以降の掛金の請求はありません。",
            ja_month(schedule::first_open_month(
                &rules.collection,
                &self.calendar,
                today
            ))
        ));
        if plan.refund.legacy_rates_used {
            out.push(
                "平成16年3月以前の月の掛金には、公表資料で確認できない表2の支給率の代わりに暫定の率を用いています（概算）。".into(),
            );
        }
        if plan.estimate() {
            out.push(
                "支給率の一部が公表資料で確認できないか、移行前の掛金に月ごとの内訳がないため、概算額です。".into(),
            );
        }
        out.push(format!(
            "お支払い予定日は{}です（ご登録の引落口座へお振り込みします）。",
            ja_date(plan.payment_date)
        ));
        Ok(out)
    }

    /// Cancels the contract at the quoted amount (see the module doc). The channel follows the
    /// actor (`paper` when staff key in a member's form). With `key`, a retried request gets
    /// the first answer.
    pub async fn cancel_contract(
        &self,
        actor: &Actor,
        number: &str,
        form: &CancellationForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<CancellationDone>, AppError> {
        self.run_procedure::<CancellationProcedure>(actor, number, form, key)
            .await
    }

    /// The contract and the rule set's deemed-cancellation rates, for the staff page (staff
    /// only; the contract must be active).
    pub async fn deemed_cancellation_context(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<DeemedContext, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        let rules = self.rules_for(c.program)?;
        Ok(DeemedContext {
            reasons: deemed_reasons(c.program),
            rates: deemed_rates_ja(&rules),
            contract_number: c.number,
            program: c.program,
            holder_name: c.holder_name,
            business_name: c.business_name,
        })
    }

    /// Records a deemed cancellation (みなし解約) of an active contract today: an approver, a
    /// reason of the contract's program and a note are required; the refund follows the rule
    /// set's rates for the reason and is recorded as payable; the member is mailed; audited.
    #[tracing::instrument(skip(self, actor, form), fields(actor = actor.user_id.get()))]
    pub async fn record_deemed_cancellation(
        &self,
        actor: &Actor,
        number: &str,
        form: &DeemedForm,
    ) -> Result<DeemedDone, AppError> {
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        require_approver(tx.conn(), actor).await?;
        let c = active_contract(tx.conn(), actor, number).await?;
        let (reason, note) = parse_deemed(form, c.program)?;
        contracts::lock(tx.conn(), c.id).await?;
        ensure_no_pending(tx.conn(), c.id).await?;
        let plan = self
            .plan_refund(tx.conn(), c.id, c.program, CancellationKind::Deemed(reason))
            .await?;
        let (discount, estimate) = self
            .record_cancellation(
                tx.conn(),
                c.id,
                &plan,
                RefundLinks {
                    note: Some(&note),
                    ..RefundLinks::default()
                },
                &now,
            )
            .await?;
        let done = DeemedDone {
            contract_number: c.number.clone(),
            program: c.program,
            reason,
            cancelled_on: self.clock.today(),
            refund_yen: plan.refund.amount.get() + discount.get(),
            prepayment_discount_yen: discount.get(),
            months_paid: plan.refund.months_paid,
            total_paid_yen: plan.refund.total_paid.get(),
            rate: plan.refund.rate.map(|r| r.to_string()),
            estimate,
            payment_date: plan.payment_date,
        };
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "contract.cancelled",
            &format!("contract:{}", c.number),
            Some(&json!({ "status": "active" })),
            Some(&json!({
                "status": "cancelled",
                "kind": CancellationKind::Deemed(reason).as_str(),
                "reason": reason.as_str(),
                "note": note,
                "refund": serde_json::to_value(&done).map_err(internal)?,
            })),
        )
        .await?;
        let kind = CancellationKind::Deemed(reason).name_ja(c.program);
        let mut body = format!(
            "{} 様\n\n共済契約者番号 {} の{}の共済契約は、{}により、{}付けで終了しました（{}）。\n\n{}",
            c.holder_name,
            c.number,
            c.program.name_ja(),
            reason.name_ja(),
            ja_date(done.cancelled_on),
            kind,
            refund_lines(
                Yen::new(done.refund_yen - done.prepayment_discount_yen),
                discount,
                done.months_paid,
                plan.refund.total_paid,
                done.payment_date,
            ),
        );
        if estimate {
            body.push_str(ESTIMATE_NOTE);
        }
        body.push_str(&format!(
            "\nお心当たりがない場合は、機構までお問い合わせください。\n{}/portal\n",
            self.public_url
        ));
        // 解約（解除）通知書 as a document, attached to the mail.
        let letter = self
            .cancellation_letter(
                tx.conn(),
                &c,
                kind,
                &format!("{}によります。", reason.name_ja()),
                done.cancelled_on,
                (done.months_paid, plan.refund.total_paid),
                (Yen::new(done.refund_yen), done.payment_date),
            )
            .await?;
        let attachment = self
            .issue_letter(tx.conn(), c.id, &format!("deemed:{}", c.id), &letter)
            .await?;
        body.push_str(&self.attachment_note(&attachment, &letter.head().contract_number));
        self.mail_member_with(
            tx.conn(),
            c.member_id,
            MailText {
                subject: format!("【{}】{}のお知らせ", c.program.name_ja(), kind),
                body,
            },
            vec![attachment],
            &now,
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }
}

const ESTIMATE_NOTE: &str =
    "※ 暫定の支給率を用いた概算額です。金額が確定しましたらあらためてお知らせします。\n";

/// The refund block of the mails.
fn refund_lines(
    refund: Yen,
    discount: Yen,
    months_paid: u32,
    total_paid: Yen,
    payment_date: Date,
) -> String {
    format!(
        "解約手当金：{refund}\n前納減額金：{discount}\nお支払いする金額（合計）：{}\n（掛金納付月数 {months_paid}か月、掛金合計額 {total_paid}）\nお支払い予定日：{}（ご登録の引落口座へお振り込みします）\n",
        Yen::new(refund.get() + discount.get()),
        ja_date(payment_date),
    )
}

fn parse_deemed(form: &DeemedForm, program: Program) -> Result<(DeemedReason, String), AppError> {
    let mut p = Parser { errors: Vec::new() };
    let reason = p.choice("reason", &form.reason, "解約の事由", DeemedReason::parse);
    let reason = match reason {
        Some(DeemedReason::Death) if program == Program::SmallEnterprise => {
            p.err(
                "reason",
                "not_a_cancellation",
                "小規模企業共済の契約者の死亡は解約ではなく、共済金A（ご遺族への共済金）の請求です。共済金の請求としてお手続きください。",
            );
            None
        }
        Some(r) if r.program() != program => {
            p.err(
                "reason",
                "invalid_choice",
                format!("この事由は{}では選べません。", program.name_ja()),
            );
            None
        }
        other => other,
    };
    let note = form.note.as_deref().map(str::trim).unwrap_or("");
    if note.is_empty() {
        p.err(
            "note",
            "required",
            "記録の理由（確認した書類・事実の日付など）を入力してください。",
        );
    } else if note.chars().count() > MAX_NOTE {
        p.err(
            "note",
            "too_long",
            format!("記録の理由は{MAX_NOTE}文字以内で入力してください。"),
        );
    }
    match reason {
        Some(r) if p.errors.is_empty() => Ok((r, note.to_string())),
        _ => Err(AppError::Invalid(p.errors)),
    }
}

fn passed(code: &str, message: String) -> Check {
    Check {
        code: code.into(),
        status: CheckStatus::Passed,
        field: None,
        message,
    }
}

/// The 任意解約 on the procedure framework: the subject is the contract; every check passes or
/// the request is refused (409), so it completes at once. An application found in review (none
/// today) would be completed on approval with the refund worked out then.
pub(crate) struct CancellationProcedure;

/// What completing produced.
pub(crate) struct Cancelled {
    number: String,
    plan: RefundPlan,
    discount: Yen,
    estimate: bool,
}

impl ProcedureRules for CancellationProcedure {
    const PROCEDURE: Procedure = Procedure::Cancellation;
    type Target = str;
    type Form = CancellationForm;
    type Input = QuotedRefund;
    type Done = Cancelled;
    type Answer = CancellationDone;

    fn parse(form: &CancellationForm) -> Result<QuotedRefund, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &QuotedRefund,
    ) -> Result<Subject, AppError> {
        let c = active_contract(conn, actor, number).await?;
        // Serialises changes of one contract (PostgreSQL runs writers concurrently): a double
        // submit waits here and then finds the contract cancelled.
        contracts::lock(conn, c.id).await?;
        Ok(contract_subject(&c))
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &QuotedRefund,
        rules: &RuleSet,
    ) -> Result<Checked<CancellationDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        ensure_no_pending(conn, c.id).await?;
        let quote = app.quote_for(conn, &c).await?;
        if quote.refund_yen != input.0.get() {
            return Err(AppError::conflict(
                "quote_changed",
                format!(
                    "お支払い予定額が変わりました（現在は{}）。あらためて内容をご確認のうえ、お手続きください。",
                    Yen::new(quote.refund_yen)
                ),
            ));
        }
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks: vec![
                passed("contract_active", "契約は有効です。".into()),
                passed(
                    "no_pending_procedure",
                    "確認中のほかのお手続きはありません。".into(),
                ),
                passed(
                    "quote_matches",
                    format!(
                        "お支払い予定額{}は、現在の計算と一致します。",
                        Yen::new(quote.refund_yen)
                    ),
                ),
            ],
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _input: &QuotedRefund,
    ) -> Result<Cancelled, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app
            .plan_refund(conn, c.id, c.program, CancellationKind::Voluntary)
            .await?;
        let (discount, estimate) = app
            .record_cancellation(
                conn,
                c.id,
                &plan,
                RefundLinks {
                    application_id: Some(filed.application_id),
                    ..RefundLinks::default()
                },
                &filed.now,
            )
            .await?;
        filed.audit(
            "contract.cancelled",
            &format!("contract:{}", c.number),
            Some(&json!({ "status": "active" })),
            Some(&json!({
                "status": "cancelled",
                "kind": CancellationKind::Voluntary.as_str(),
                "application": filed.application_id,
                "refund_yen": plan.refund.amount.get(),
                "prepayment_discount_yen": discount.get(),
                "loans_deducted_yen": plan.refund.loans_deducted.get(),
                "months_paid": plan.refund.months_paid,
                "total_paid_yen": plan.refund.total_paid.get(),
                "estimate": estimate,
                "payment_date": plan.payment_date.to_string(),
                "rule_set": plan.rules.id,
            })),
        );
        Ok(Cancelled {
            number: c.number,
            plan,
            discount,
            estimate,
        })
    }

    async fn answer(
        _app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: QuotedRefund,
        done: Option<Cancelled>,
    ) -> Result<CancellationDone, AppError> {
        let c = subject_contract(conn, subject).await?;
        Ok(match done {
            Some(d) => CancellationDone {
                program: c.program,
                application_id: filed.application_id,
                status: filed.status,
                refund_yen: d.plan.refund.amount.get() + d.discount.get(),
                contract_status: c.status,
                payment_date: Some(d.plan.payment_date),
            },
            None => CancellationDone {
                program: c.program,
                application_id: filed.application_id,
                status: filed.status,
                refund_yen: input.0.get(),
                contract_status: c.status,
                payment_date: None,
            },
        })
    }

    /// 解約通知書 (解除通知書 for 小規模) with the refund and its payment day.
    async fn letter(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        _input: &QuotedRefund,
        done: &Cancelled,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let r = &done.plan.refund;
        let letter = app
            .cancellation_letter(
                conn,
                &c,
                CancellationKind::Voluntary.name_ja(c.program),
                "共済契約者からの解約のお申出によります。",
                app.clock.today(),
                (r.months_paid, r.total_paid),
                (done.plan.payable(), done.plan.payment_date),
            )
            .await?;
        Ok(Some((c.id, letter)))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        _input: &QuotedRefund,
        done: &Cancelled,
    ) -> MailText {
        let program = subject.program;
        let r = &done.plan.refund;
        let mut body = format!(
            "{} 様\n\n共済契約者番号 {} の{}の任意解約のお手続きが完了しました（受付番号：{}）。解約日は{}です。\n\
             これ以降の掛金の請求はありません。\n\n解約手当金の額が決定しました（決定済み・支払予定）。\n\n{}",
            subject.holder_name,
            done.number,
            program.name_ja(),
            filed.application_id,
            ja_date(app.clock.today()),
            refund_lines(
                r.amount,
                done.discount,
                r.months_paid,
                r.total_paid,
                done.plan.payment_date
            ),
        );
        if done.estimate {
            body.push_str(ESTIMATE_NOTE);
        }
        body.push_str(&format!(
            "\nお心当たりがない場合は、至急お問い合わせください。\n{}/portal\n",
            app.public_url
        ));
        MailText {
            subject: format!("【{}】任意解約のお手続きが完了しました", program.name_ja()),
            body,
        }
    }
}
