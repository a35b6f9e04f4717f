//! 契約者貸付 (member loans of 小規模企業共済, issue #12 item 4; REFERENCE §4) on the procedure
//! framework: the member names the kind, the amount and the term; the request is checked against
//! the limit in force (recalculated in April and October from the premiums paid up to the month
//! before, within the combined cap with the member loans outstanding), the kind's amount range,
//! unit and terms, and the kind's condition (緊急経営安定: a sales decline; 傷病災害時: days in
//! hospital). A request whose checks pass is decided at once — unless a provisional table or a
//! condition only a document can show is involved, when staff confirm it. Deciding makes the
//! loan with its schedule (every 6 months in equal principal, interest in advance, or one
//! repayment at maturity for short terms), transfers the amount less the interest in advance,
//! and the billing cycle collects the instalments like every loan's.

use crate::rules::small_enterprise;
use jiff::civil::Date;
use kyosai_domain::loan::{Instalment, LoanKind};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::rules::small_enterprise::{MemberLoanKind, MemberLoanKindRules};
use kyosai_domain::small_enterprise::member_loan::{self, KindTerms, MemberLoanSchedule};
use kyosai_domain::special_measures::DisasterLoan;
use kyosai_domain::{ApplicationId, ApplicationStatus, ContractId, Procedure, Program, Rate, Yen};
use kyosai_store::contracts::Contract;
use kyosai_store::payouts;
use kyosai_store::{loans, paid};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::internal;
use crate::form_parser::{Parser, text};
use crate::ja_text::ja_date;
use crate::loans::payee;
use crate::procedure::{
    Answer, Checked, Filed, IdempotencyKey, MailText, Outcome, ProcedureRules, Subject,
    program_subject, subject_contract,
};
use crate::{Actor, App, AppError};

/// A 契約者貸付 request as submitted (`POST /api/v1/contracts/{number}/member-loans`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberLoanForm {
    /// `general`, `emergency`, `illness_disaster`, `welfare`, `new_business`, `succession`,
    /// `closure_prep`, or `disaster_special` (only while a disaster special measure applies to
    /// the member).
    pub kind: Option<String>,
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub amount_yen: Option<String>,
    /// One of the kind's terms for the amount (months).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub term_months: Option<String>,
    /// 緊急経営安定貸付け: the fall in sales year on year, in percent (e.g. `7.5`).
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub sales_decline_percent: Option<String>,
    /// 傷病災害時貸付け: days in hospital.
    #[serde(deserialize_with = "text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub hospital_days: Option<String>,
    /// Tokens of uploaded evidence (`POST …/member-loans/evidence`): required for the
    /// `disaster_special` loan (a copy of the 被災証明書 or 罹災証明書).
    pub evidence: Vec<String>,
}

/// A request as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberLoanInput {
    kind: MemberLoanKind,
    amount: Yen,
    term_months: u32,
    sales_decline: Option<Rate>,
    hospital_days: Option<u32>,
    evidence: Vec<String>,
}

/// The most evidence files one request names.
const MAX_EVIDENCE: usize = 10;

/// Far above any limit; a larger figure is a typing error.
const MAX_LOAN_YEN: i64 = 100_000_000_000;

fn kind_of(s: &str) -> Option<MemberLoanKind> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string())).ok()
}

impl MemberLoanForm {
    fn parse(&self) -> Result<MemberLoanInput, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let kind = p.choice("kind", &self.kind, "貸付けの種類", kind_of);
        let amount = p.yen("amount_yen", &self.amount_yen, "借入額", MAX_LOAN_YEN);
        let term = p.count("term_months", &self.term_months, "返済期間（月数）", 600);
        let sales_decline = match self.sales_decline_percent.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => {
                let r = s
                    .trim_end_matches(['%', '％'])
                    .parse::<Rate>()
                    .ok()
                    .and_then(|r| Rate::new(r.num(), r.den().checked_mul(100)?));
                if r.is_none() {
                    p.err(
                        "sales_decline_percent",
                        "number",
                        "売上げの減少率は「7.5」のように数字で入力してください。",
                    );
                }
                r
            }
        };
        let evidence = p.evidence(&self.evidence, MAX_EVIDENCE);
        let hospital_days = match self.hospital_days.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(_) => p
                .count("hospital_days", &self.hospital_days, "入院日数", 10_000)
                .and_then(|d| u32::try_from(d).ok()),
        };
        match (kind, amount, term) {
            (Some(kind), Some(amount), Some(term)) if p.errors.is_empty() => Ok(MemberLoanInput {
                kind,
                amount: Yen::new(amount),
                term_months: u32::try_from(term).unwrap_or(0),
                sales_decline,
                hospital_days,
                evidence,
            }),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// The answer to a 契約者貸付 request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberLoanDone {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub application_id: ApplicationId,
    pub status: ApplicationStatus,
    pub kind: String,
    pub kind_ja: String,
    pub amount_yen: i64,
    pub term_months: u32,
    /// The annual rate, as the rules print it (`1.5%`).
    pub rate: String,
    /// The limit the request was checked against (as of the last recalculation).
    pub limit_yen: i64,
    /// The day the loan is transferred (None while staff review the request).
    pub disbursement_date: Option<Date>,
    /// The first period's interest, paid in advance out of the transfer.
    pub interest_in_advance_yen: Option<i64>,
    /// What is transferred.
    pub transfer_yen: Option<i64>,
    /// Every repayment (None while staff review the request).
    pub schedule: Option<Vec<Instalment>>,
    /// A provisional value of the rules went into the figures.
    pub estimate: bool,
}

impl Outcome for MemberLoanDone {
    fn status(&self) -> ApplicationStatus {
        self.status
    }
}

/// What deciding a 契約者貸付 produced.
pub(crate) struct MemberLoanDecided {
    number: String,
    disbursement_date: Date,
    schedule: MemberLoanSchedule,
    /// The assessment the decision rested on (the limit before this loan).
    assessed: Assessed,
}

pub(crate) struct MemberLoanProcedure;

/// What a request comes to: the limit in force, the kind's rate, and whether provisional values
/// went into it.
struct Assessed {
    limit: member_loan::MemberLoanLimit,
    rate: Option<Rate>,
    /// Months without repayment (the 特例災害時貸付け's 据置期間; 0 for the other kinds).
    grace_months: u32,
    estimate: bool,
}

impl App {
    /// The member loan limit in force today for a contract: the months and yen paid up to the
    /// last recalculation (April, October), less the member loans outstanding, within the
    /// rule set's combined cap (or `combined_cap`, a special measure's).
    pub(crate) async fn member_loan_limit(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        contract_id: ContractId,
        combined_cap: Option<Yen>,
    ) -> Result<member_loan::MemberLoanLimit, AppError> {
        let se = small_enterprise(rules)?;
        let today = self.clock.today();
        let basis = member_loan::limit_basis_month(&se.member_loan, today);
        let p = paid::up_to(conn, contract_id, &basis.to_string()).await?;
        let outstanding = self
            .outstanding_loan_balance(conn, rules, contract_id, today)
            .await?;
        Ok(member_loan::limit(
            &se.member_loan,
            u32::try_from(p.months.max(0)).unwrap_or(u32::MAX),
            Yen::new(p.yen),
            outstanding,
            combined_cap,
        ))
    }

    /// The transfer day of a loan decided today and its schedule: one function for the quote
    /// the member reads and the loan decided.
    fn member_loan_schedule(
        &self,
        rules: &RuleSet,
        input: &MemberLoanInput,
        rate: Rate,
        a: &Assessed,
    ) -> Result<(Date, MemberLoanSchedule), AppError> {
        let ml = &small_enterprise(rules)?.member_loan;
        let disbursement_date = self
            .calendar
            .business_days_after(self.clock.today(), ml.disbursement_business_days.value);
        let schedule = member_loan::schedule(
            ml,
            input.amount,
            input.term_months,
            rate,
            disbursement_date,
            a.grace_months,
        );
        Ok((disbursement_date, schedule))
    }

    /// The 特例災害時貸付け a disaster special measure in force offers the contract's member,
    /// with the measure's name.
    async fn disaster_loan(
        &self,
        conn: &mut AnyConnection,
        c: &Contract,
    ) -> Result<Option<(&'static str, DisasterLoan<'static>)>, AppError> {
        Ok(
            crate::special_measures::effect_for(conn, c, self.clock.today(), |e| {
                e.disaster_loan().is_some()
            })
            .await?
            .and_then(|(m, e)| Some((m.name.as_str(), e.disaster_loan()?))),
        )
    }

    /// The checks of a request (`application_id`: the application its evidence is filed with,
    /// once filed).
    async fn assess_member_loan(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        c: &Contract,
        application_id: Option<ApplicationId>,
        input: &MemberLoanInput,
        checks: &mut Vec<Check>,
    ) -> Result<Assessed, AppError> {
        let se = small_enterprise(rules)?;
        let ml = &se.member_loan;
        // The 特例災害時貸付け's terms are the special measure's in force for the member.
        let disaster = match input.kind {
            MemberLoanKind::DisasterSpecial => self.disaster_loan(conn, c).await?.map(|(_, d)| d),
            _ => None,
        };
        let limit = self
            .member_loan_limit(conn, rules, c.id, disaster.as_ref().map(|d| d.combined_cap))
            .await?;
        let kind_name = input.kind.name_ja();
        let kind_terms = match &disaster {
            Some(d) => Some(KindTerms {
                kind: input.kind,
                rules: &d.terms,
                provisional: false,
            }),
            None if input.kind == MemberLoanKind::DisasterSpecial => None,
            None => KindTerms::of(ml, input.kind),
        };
        let terms = match kind_terms.map_or_else(
            || Err(vec![member_loan::kind_unknown(input.kind)]),
            |k| member_loan::terms(ml, &k, input.amount, &limit),
        ) {
            Ok(t) => Some(t),
            Err(reasons) => {
                for r in reasons {
                    let field = match r.code {
                        "below_minimum" | "above_maximum" | "not_a_unit" | "above_limit" => {
                            Some("amount_yen")
                        }
                        "kind_unknown" => Some("kind"),
                        _ => None,
                    };
                    checks.push(Check::new(r.code, CheckStatus::Failed, field, r.message));
                }
                None
            }
        };
        let rate = terms.as_ref().and_then(|t| t.rate);
        if let Some(t) = &terms {
            if t.term_months.is_empty() || t.rate.is_none() {
                checks.push(Check::new(
                    "terms_known",
                    CheckStatus::Failed,
                    Some("kind"),
                    format!("{kind_name}は返済期間と利率が未登録のため、オンラインではお申し込みいただけません。共済相談室にお問い合わせください。"),
                ));
            } else if !t.term_months.contains(&input.term_months) {
                checks.push(Check::new(
                    "term",
                    CheckStatus::Failed,
                    Some("term_months"),
                    format!(
                        "この借入額の返済期間は{}か月からお選びください。",
                        t.term_months
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join("・")
                    ),
                ));
            } else {
                checks.push(Check::new(
                    "amount",
                    CheckStatus::Passed,
                    None,
                    format!(
                        "{kind_name} {}（返済期間{}か月）は貸付限度額{}の範囲内です。",
                        input.amount, input.term_months, limit.limit
                    ),
                ));
            }
        }
        // The conditions as the rule set states them (5%, 5 days), for the messages.
        let condition = ml.kinds.get(&input.kind).map(|k| &k.value);
        let min_decline = condition
            .and_then(|k| k.min_sales_decline)
            .map_or_else(String::new, |r| format!("（{r}以上）"));
        let min_days = condition
            .and_then(|k| k.min_hospital_days)
            .map_or_else(String::new, |d| format!("（{d}日以上）"));
        match input.kind {
            MemberLoanKind::Emergency => match input.sales_decline {
                None => checks.push(Check::new(
                    "sales_decline",
                    CheckStatus::Failed,
                    Some("sales_decline_percent"),
                    format!("緊急経営安定貸付けは、前年同期からの売上げの減少率{min_decline}を入力してください。"),
                )),
                Some(d) if !member_loan::emergency_qualifies(ml, d) => checks.push(Check::new(
                    "sales_decline",
                    CheckStatus::Failed,
                    Some("sales_decline_percent"),
                    format!("売上げの減少率が緊急経営安定貸付けの条件{min_decline}に届きません。"),
                )),
                Some(_) => checks.push(Check::new(
                    "sales_decline",
                    CheckStatus::NeedsReview,
                    None,
                    "売上げの減少は商工会等の確認書で職員が確認します。",
                )),
            },
            MemberLoanKind::IllnessDisaster => match input.hospital_days {
                Some(d) if member_loan::illness_qualifies(ml, d) => checks.push(Check::new(
                    "hospital_days",
                    CheckStatus::NeedsReview,
                    None,
                    "入院（または災害）の事実は診断書等で職員が確認します。",
                )),
                _ => checks.push(Check::new(
                    "hospital_days",
                    CheckStatus::Failed,
                    Some("hospital_days"),
                    format!("傷病災害時貸付けは、入院日数{min_days}を入力してください。"),
                )),
            },
            MemberLoanKind::DisasterSpecial if let Some(d) = &disaster => {
                checks.extend(
                    crate::evidence::unknown_evidence_checks(
                        conn,
                        &input.evidence,
                        c.id,
                        application_id,
                    )
                    .await?,
                );
                if input.evidence.is_empty() {
                    checks.push(Check::new(
                        "evidence_missing",
                        CheckStatus::Failed,
                        Some("evidence"),
                        format!("特例災害時貸付けには、{}を添付してください。", d.evidence),
                    ));
                }
                checks.push(Check::new(
                    "evidence_review",
                    CheckStatus::NeedsReview,
                    None,
                    format!("事業資産の被害は、添付の{}で職員が確認します。", d.evidence),
                ));
            }
            MemberLoanKind::General | MemberLoanKind::DisasterSpecial => {}
            _ => checks.push(Check::new(
                "kind_condition",
                CheckStatus::NeedsReview,
                None,
                format!("{kind_name}の条件は職員が確認します。"),
            )),
        }
        let estimate = terms.as_ref().is_some_and(|t| t.estimate)
            || ml.instalment_interval_months.provisional
            || ml.interest_in_advance.provisional;
        if estimate && checks.iter().all(|c| c.status != CheckStatus::Failed) {
            checks.push(Check::new(
                "provisional_rules",
                CheckStatus::NeedsReview,
                None,
                "貸付限度額または返済条件が暫定の値に基づくため、職員が確認してから決定します。",
            ));
        }
        Ok(Assessed {
            limit,
            rate,
            grace_months: disaster.map_or(0, |d| d.grace_months),
            estimate,
        })
    }

    /// Requests a 契約者貸付 (see [`MemberLoanProcedure`]).
    pub async fn request_member_loan(
        &self,
        actor: &Actor,
        number: &str,
        form: &MemberLoanForm,
        key: Option<&IdempotencyKey>,
    ) -> Result<Answer<MemberLoanDone>, AppError> {
        self.run_procedure::<MemberLoanProcedure>(actor, number, form, key)
            .await
    }
}

impl ProcedureRules for MemberLoanProcedure {
    const PROCEDURE: Procedure = Procedure::MemberLoan;
    type Target = str;
    type Form = MemberLoanForm;
    type Input = MemberLoanInput;
    type Done = MemberLoanDecided;
    type Answer = MemberLoanDone;

    fn parse(form: &MemberLoanForm) -> Result<MemberLoanInput, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &MemberLoanInput,
    ) -> Result<Subject, AppError> {
        let s =
            program_subject(conn, actor, number, Program::SmallEnterprise, "契約者貸付").await?;
        Ok(s)
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &MemberLoanInput,
        rules: &RuleSet,
    ) -> Result<Checked<MemberLoanDone>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let mut checks = Vec::new();
        app.assess_member_loan(conn, rules, &c, None, input, &mut checks)
            .await?;
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks,
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &MemberLoanInput,
    ) -> Result<MemberLoanDecided, AppError> {
        let c = subject_contract(conn, subject).await?;
        let rules = &filed.rules;
        let mut checks = Vec::new();
        let a = app
            .assess_member_loan(
                conn,
                rules,
                &c,
                Some(filed.application_id),
                input,
                &mut checks,
            )
            .await?;
        if let Some(failed) = checks.iter().find(|x| x.status == CheckStatus::Failed) {
            return Err(AppError::conflict(
                "member_loan_check_failed",
                format!(
                    "決定時の確認で条件を満たさなくなりました：{}",
                    failed.message
                ),
            ));
        }
        let rate = a
            .rate
            .ok_or_else(|| internal("a member loan decided without a rate"))?;
        let (disbursement_date, schedule) = app.member_loan_schedule(rules, input, rate, &a)?;
        let maturity_date = schedule
            .instalments
            .last()
            .map_or(disbursement_date, |i| i.due_date);
        let loan_id = loans::insert(
            conn,
            &loans::NewLoan {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: LoanKind::Member(input.kind),
                amount: input.amount,
                disbursement_date,
                maturity_date,
                premium_reduction: Yen::ZERO,
                bankruptcy_key: None,
                schedule: &schedule.instalments,
            },
            &filed.now,
        )
        .await?;
        let account = payee(conn, c.id).await?;
        let source = format!("loan:{loan_id}");
        payouts::schedule(
            conn,
            &payouts::NewPayout {
                contract_id: c.id,
                application_id: Some(filed.application_id),
                kind: PayoutKind::LoanDisbursement,
                due_date: disbursement_date,
                amount: schedule.transfer,
                account: &account,
                source: &source,
                seq: 1,
            },
            &filed.now,
        )
        .await?;
        filed.audit(
            "loan.decided",
            &source,
            None,
            Some(&json!({
                "kind": LoanKind::Member(input.kind).as_str(),
                "contract": c.number,
                "application": filed.application_id,
                "amount_yen": input.amount.get(),
                "term_months": input.term_months,
                "rate": rate.to_string(),
                "interest_in_advance_yen": schedule.interest_in_advance.get(),
                "transfer_yen": schedule.transfer.get(),
                "disbursement_date": disbursement_date.to_string(),
                "maturity_date": maturity_date.to_string(),
                "limit_yen": a.limit.limit.get(),
                "rule_set": rules.id,
            })),
        );
        Ok(MemberLoanDecided {
            number: c.number,
            disbursement_date,
            schedule,
            assessed: a,
        })
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: MemberLoanInput,
        done: Option<MemberLoanDecided>,
    ) -> Result<MemberLoanDone, AppError> {
        // The evidence is filed with the application, so staff open it from the review screen.
        crate::evidence::file_with(conn, &input.evidence, filed.application_id).await?;
        let (a, decided) = match done {
            Some(d) => (d.assessed, Some((d.disbursement_date, d.schedule))),
            None => {
                let c = subject_contract(conn, subject).await?;
                let a = app
                    .assess_member_loan(
                        conn,
                        &filed.rules,
                        &c,
                        Some(filed.application_id),
                        &input,
                        &mut Vec::new(),
                    )
                    .await?;
                (a, None)
            }
        };
        let kind = LoanKind::Member(input.kind);
        Ok(MemberLoanDone {
            application_id: filed.application_id,
            status: filed.status,
            kind: kind.as_str().trim_start_matches("member_").to_string(),
            kind_ja: kind.name_ja().to_string(),
            amount_yen: input.amount.get(),
            term_months: input.term_months,
            rate: a.rate.map_or_else(String::new, |r| r.to_string()),
            limit_yen: a.limit.limit.get(),
            disbursement_date: decided.as_ref().map(|(d, _)| *d),
            interest_in_advance_yen: decided.as_ref().map(|(_, s)| s.interest_in_advance.get()),
            transfer_yen: decided.as_ref().map(|(_, s)| s.transfer.get()),
            schedule: decided.map(|(_, s)| s.instalments),
            estimate: a.estimate,
        })
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        filed: &Filed,
        input: &MemberLoanInput,
        done: &MemberLoanDecided,
    ) -> MailText {
        let s = &done.schedule;
        let first = s.instalments.first();
        MailText {
            subject: format!(
                "【{}】契約者貸付の貸付けが決定しました",
                subject.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の契約者貸付（{}）の貸付けが決定しました（受付番号：{}）。\n\n\
                 貸付金額：{}\n前払いの利息：{}\nお振込み額：{}（{}に引落口座へお振り込みします）\n\
                 ご返済：{}回（初回 {}、{}）。ご返済は口座振替です。\n\
                 返済予定と残高：{}/portal/contracts/{}/loans\n",
                subject.holder_name,
                done.number,
                input.kind.name_ja(),
                filed.application_id,
                input.amount,
                s.interest_in_advance,
                s.transfer,
                ja_date(done.disbursement_date),
                s.instalments.len(),
                first.map_or_else(String::new, |i| ja_date(i.due_date)),
                first.map_or(Yen::ZERO, Instalment::total),
                app.public_url,
                done.number
            ),
        }
    }
}

/// What a 契約者貸付 as typed would be, shown before the member confirms: the same checks as the
/// request (a refused field gets the same error), the schedule as if decided today, nothing
/// stored.
#[derive(Debug, Clone)]
pub struct MemberLoanQuote {
    pub kind: MemberLoanKind,
    pub amount: Yen,
    pub term_months: u32,
    pub rate: Rate,
    pub limit: Yen,
    pub disbursement_date: Date,
    pub schedule: MemberLoanSchedule,
    /// Staff confirm the request before it is decided (a document or a provisional table).
    pub in_review: bool,
    pub estimate: bool,
}

/// What the request page offers before anything is typed: the limit in force, the kinds with
/// their amount ranges, terms and rates from the rule set — and the 特例災害時貸付け when a
/// disaster special measure offers it to the member, on the measure's terms.
#[derive(Debug, Clone)]
pub struct MemberLoanOffer {
    pub limit: Yen,
    /// The months from which a recalculated limit applies (April, October).
    pub recalculation_months: Vec<i8>,
    pub unit: Yen,
    pub kinds: Vec<KindOffer>,
    /// The disaster special measure offering its 特例災害時貸付け to the member (REFERENCE §4.2).
    pub disaster_loan: Option<DisasterLoanOffer>,
}

/// A special measure's 特例災害時貸付け as the member reads it.
#[derive(Debug, Clone)]
pub struct DisasterLoanOffer {
    /// The measure's name.
    pub measure: String,
    /// What it offers, in the measure's words.
    pub description: String,
    /// The documents to attach (被災証明書 …).
    pub evidence: String,
    /// Months without repayment, part of the term.
    pub grace_months: u32,
    /// The limit within the measure's combined cap.
    pub limit: Yen,
}

#[derive(Debug, Clone)]
pub struct KindOffer {
    pub kind: MemberLoanKind,
    pub min: Option<Yen>,
    pub max: Option<Yen>,
    pub rate: Option<Rate>,
    /// (amount up to, terms in months); None: any larger amount.
    pub terms: Vec<(Option<Yen>, Vec<u32>)>,
}

impl KindOffer {
    fn of(kind: MemberLoanKind, k: Option<&MemberLoanKindRules>) -> KindOffer {
        KindOffer {
            kind,
            min: k.and_then(|k| k.min_yen),
            max: k.and_then(|k| k.max_yen),
            rate: k.and_then(|k| k.rate),
            terms: k.map_or_else(Vec::new, |k| {
                k.terms
                    .iter()
                    .map(|b| (b.up_to_yen, b.months.clone()))
                    .collect()
            }),
        }
    }
}

impl App {
    /// The limit and the kinds a 小規模 contract's member may borrow (its member or staff).
    pub async fn member_loan_offer(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<MemberLoanOffer, AppError> {
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        if c.program != Program::SmallEnterprise {
            return Err(AppError::NotFound);
        }
        let rules = self.rules_for(c.program)?;
        let ml = &small_enterprise(&rules)?.member_loan;
        let limit = self
            .member_loan_limit(&mut conn, &rules, c.id, None)
            .await?;
        let mut kinds: Vec<KindOffer> = MemberLoanKind::ALL
            .into_iter()
            .filter(|k| *k != MemberLoanKind::DisasterSpecial)
            .map(|kind| KindOffer::of(kind, ml.kinds.get(&kind).map(|k| &k.value)))
            .collect();
        let disaster_loan = match self.disaster_loan(&mut conn, &c).await? {
            Some((measure, d)) => {
                kinds.push(KindOffer::of(
                    MemberLoanKind::DisasterSpecial,
                    Some(&d.terms),
                ));
                let limit = self
                    .member_loan_limit(&mut conn, &rules, c.id, Some(d.combined_cap))
                    .await?;
                Some(DisasterLoanOffer {
                    measure: measure.to_string(),
                    description: d.description.to_string(),
                    evidence: d.evidence.to_string(),
                    grace_months: d.grace_months,
                    limit: limit.limit,
                })
            }
            None => None,
        };
        Ok(MemberLoanOffer {
            limit: limit.limit,
            recalculation_months: ml.limit_recalculation_months.value.clone(),
            unit: ml.unit_yen.value,
            disaster_loan,
            kinds,
        })
    }

    /// The quote of a 契約者貸付 as typed (see [`MemberLoanQuote`]).
    pub async fn quote_member_loan(
        &self,
        actor: &Actor,
        number: &str,
        form: &MemberLoanForm,
    ) -> Result<MemberLoanQuote, AppError> {
        let input = form.parse()?;
        let mut conn = self.store.read().await?;
        let c = self.readable_contract(&mut conn, actor, number).await?;
        if c.program != Program::SmallEnterprise {
            return Err(AppError::conflict(
                "not_available",
                "契約者貸付は小規模企業共済の制度です。",
            ));
        }
        let rules = self.rules_for(c.program)?;
        let mut checks = Vec::new();
        let a = self
            .assess_member_loan(&mut conn, &rules, &c, None, &input, &mut checks)
            .await?;
        // The evidence is attached on the confirmation step, after this quote.
        let failed: Vec<_> = checks
            .iter()
            .filter(|x| x.status == CheckStatus::Failed && x.code != "evidence_missing")
            .map(|x| {
                kyosai_domain::FieldError::new(
                    x.field.clone().unwrap_or_else(|| "application".into()),
                    "rule",
                    x.message.clone(),
                )
            })
            .collect();
        if !failed.is_empty() {
            return Err(AppError::Invalid(failed));
        }
        let rate = a
            .rate
            .ok_or_else(|| internal("a member loan quote without a rate"))?;
        let (disbursement_date, schedule) = self.member_loan_schedule(&rules, &input, rate, &a)?;
        Ok(MemberLoanQuote {
            kind: input.kind,
            amount: input.amount,
            term_months: input.term_months,
            rate,
            limit: a.limit.limit,
            disbursement_date,
            schedule,
            in_review: checks.iter().any(|x| x.status == CheckStatus::NeedsReview),
            estimate: a.estimate,
        })
    }
}
