//! The member's debit account change (口座振替口座の変更 / 預金口座振替依頼書の再提出): after a
//! result said the account cannot be debited (codes 2, 3, 4), or simply when the member changes
//! banks.
//!
//! When every check passes the change is completed in the same transaction: an application
//! (procedure `mandate_change`) with the form and its checks, the new mandate `active` from its
//! effective month, the previous active one `replaced`, audit rows and a confirmation mail. A form
//! with an error stores nothing.
//!
//! From which debit the new account is used: the first month whose file is not made yet on the
//! day of the change (`schedule::first_open_month`: before the month's cut-off, that month; on or
//! after it, the next month, whose file then carries the new account and any re-billed arrears).
//! Billing picks, for each month, the mandate in force then (`contracts::in_force`), so a late
//! run of the cut-off month still uses the previous account, as the member was told.

use jiff::civil::Date;
use kyosai_docs::pdf::data::{ChangeValue, ChangedItem, Letter};
use kyosai_domain::procedure::{Assessment, Check, CheckStatus};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::schedule;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractId, MandateStatus, Procedure, Program, YearMonth,
};
use kyosai_store::contracts::{self, Contract};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::bank_account::{self, AccountFields, BankAccount, account_type_ja, same_holder};
use crate::form_parser::{Parser, text};
use crate::ja_text::ja_date;
use crate::procedure::{
    Checked, Filed, MailText, ProcedureRules, Subject, active_contract, contract_subject,
    subject_contract,
};
use crate::{Actor, App, AppError};

/// The account change form as submitted (HTML form or JSON); every field optional text so one
/// parser gives field-level messages for both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MandateForm {
    #[serde(deserialize_with = "text")]
    pub bank_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub branch_code: Option<String>,
    pub account_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub account_number: Option<String>,
    pub account_holder_kana: Option<String>,
}

impl MandateForm {
    /// Checks every field against the embedded bank data and the Zengin character set.
    pub fn parse(&self) -> Result<BankAccount, AppError> {
        let mut p = Parser { errors: Vec::new() };
        let account = bank_account::parse(
            &mut p,
            &AccountFields {
                bank_code: &self.bank_code,
                branch_code: &self.branch_code,
                account_type: &self.account_type,
                account_number: &self.account_number,
                account_holder_kana: &self.account_holder_kana,
            },
        );
        match account {
            Some(a) if p.errors.is_empty() => Ok(a),
            _ => Err(AppError::Invalid(p.errors)),
        }
    }
}

/// What a change will do (shown on the confirmation page) or did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MandatePlan {
    pub contract_number: String,
    pub program: Program,
    pub account: BankAccount,
    /// The first debit month the new account is used for.
    pub effective_month: YearMonth,
    /// That month's debit date.
    pub first_debit_date: Date,
}

/// The contract's account as the change page shows it first.
#[derive(Debug, Clone, Serialize)]
pub struct MandateContext {
    pub contract_number: String,
    pub program: Program,
    /// Bank, branch, type and the last four digits of the newest registered account.
    pub current_account: Option<String>,
    /// False when a debit result made it unusable.
    pub current_usable: bool,
    /// From which debit month and date an account registered today is used.
    pub effective_month: YearMonth,
    pub first_debit_date: Date,
}

/// The result of a change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MandateChange {
    #[serde(flatten)]
    pub plan: MandatePlan,
    /// The `mandate_change` application; None when the account was the one registered with the
    /// contract.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub application_id: Option<ApplicationId>,
    /// False when this account was already the registered one (a repeated submit: nothing was
    /// stored or mailed again) or when the change waits for staff.
    pub changed: bool,
    /// The application's status: `completed`, or `in_review` when the holder is not the
    /// contract's; None when nothing was filed (the account was already registered).
    pub status: Option<ApplicationStatus>,
}

/// The contract's account shown masked (last four digits), as on the overview.
pub fn masked_number(account_number: &str) -> String {
    let last4 = &account_number[account_number.len().saturating_sub(4)..];
    format!("***{last4}")
}

/// `みずほ 本店`: a bank and branch by name.
pub(crate) fn bank_and_branch(bank_code: &str, branch_code: &str) -> String {
    let bank = kyosai_refdata::bank(bank_code)
        .map(|b| b.name)
        .unwrap_or("");
    let branch = kyosai_refdata::branch(bank_code, branch_code)
        .map(|b| b.name)
        .unwrap_or("");
    format!("{bank} {branch}")
}

/// `みずほ 本店 ***4567`: a debit account as members see it (the overview, letters).
pub(crate) fn account_label(bank_code: &str, branch_code: &str, account_number: &str) -> String {
    format!(
        "{} {}",
        bank_and_branch(bank_code, branch_code),
        masked_number(account_number)
    )
}

/// [`account_label`] of a registered mandate.
pub(crate) fn mandate_label(m: &contracts::Mandate) -> String {
    account_label(&m.bank_code, &m.branch_code, &m.account_number)
}

fn same_account(m: &contracts::Mandate, a: &BankAccount) -> bool {
    m.bank_code == a.bank_code
        && m.branch_code == a.branch_code
        && m.account_type == a.account_type
        && m.account_number == a.account_number
        && same_holder(&m.holder_kana, &a.holder_kana)
}

fn review(code: &str, message: &str) -> Check {
    Check {
        code: code.into(),
        status: CheckStatus::NeedsReview,
        field: None,
        message: message.into(),
    }
}

fn passed(code: &str, message: &str) -> Check {
    Check {
        code: code.into(),
        status: CheckStatus::Passed,
        field: None,
        message: message.into(),
    }
}

impl App {
    /// From which debit month (and date) an account registered today is used.
    fn effective(&self, c: &Contract) -> Result<(Program, YearMonth, Date), AppError> {
        let program = c.program;
        let today = self.clock.today();
        let rules = self.rules_for(program)?;
        let month = schedule::first_open_month(&rules.collection, &self.calendar, today)
            .max(c.first_debit_month);
        let rules = self.billing_rules(program, month)?;
        Ok((
            program,
            month,
            schedule::debit_date(&rules.collection, &self.calendar, month),
        ))
    }

    fn plan(&self, c: &Contract, account: BankAccount) -> Result<MandatePlan, AppError> {
        let (program, effective_month, first_debit_date) = self.effective(c)?;
        Ok(MandatePlan {
            contract_number: c.number.clone(),
            program,
            account,
            effective_month,
            first_debit_date,
        })
    }

    /// What the account change page starts from: the current account and from which debit a
    /// new one would be used if registered today.
    pub async fn mandate_change_context(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<MandateContext, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        let mandates = contracts::mandates_for(&mut conn, c.id).await?;
        drop(conn);
        let (program, effective_month, first_debit_date) = self.effective(&c)?;
        let current = mandates.last();
        Ok(MandateContext {
            contract_number: c.number.clone(),
            program,
            current_account: current.map(|m| {
                format!(
                    "{} {} {}",
                    bank_and_branch(&m.bank_code, &m.branch_code),
                    account_type_ja(&m.account_type),
                    masked_number(&m.account_number)
                )
            }),
            current_usable: current.is_some_and(|m| m.usable()),
            effective_month,
            first_debit_date,
        })
    }

    /// Checks a change without storing anything (the confirmation page): who may do it, the
    /// fields, and from which debit the account would be used.
    pub async fn preview_mandate_change(
        &self,
        actor: &Actor,
        number: &str,
        form: &MandateForm,
    ) -> Result<MandatePlan, AppError> {
        let mut conn = self.store.read().await?;
        let c = active_contract(&mut conn, actor, number).await?;
        drop(conn);
        self.plan(&c, form.parse()?)
    }

    /// Registers a new debit account for a contract; the channel follows the actor (`online` for
    /// the member, `paper` when staff enter a paper 依頼書 for them). Sending the same account
    /// again changes nothing.
    pub async fn change_mandate(
        &self,
        actor: &Actor,
        number: &str,
        form: &MandateForm,
    ) -> Result<MandateChange, AppError> {
        self.run_procedure::<MandateChangeProcedure>(actor, number, form, None)
            .await?
            .fresh()
    }

    fn change_mail(&self, holder_name: &str, number: &str, plan: &MandatePlan) -> MailText {
        let a = &plan.account;
        let d = plan.first_debit_date;
        MailText {
            subject: format!(
                "【{}】引落口座の変更を受け付けました",
                plan.program.name_ja()
            ),
            body: format!(
                "{} 様\n\n共済契約者番号 {} の掛金の引落口座を、次の口座に変更しました。\n\n\
                 金融機関：{}（{}）\n支店：{}（{}）\n預金種目：{}\n口座番号：{}\n口座名義：{}\n\n\
                 新しい口座からの引落しは、{}の振替分からです。それより前の振替日の引落しには、これまでの口座を使います。\n\
                 未納の掛金がある場合は、新しい口座からの引落しで合わせてご請求します。\n\n\
                 お心当たりがない場合は、お問い合わせください。\n{}/portal/contracts/{}/billing\n",
                holder_name,
                number,
                a.bank_name,
                a.bank_code,
                a.branch_name,
                a.branch_code,
                account_type_ja(&a.account_type),
                masked_number(&a.account_number),
                a.holder_kana,
                ja_date(d),
                self.public_url,
                number,
            ),
        }
    }
}

/// The account change on the procedure framework: the subject is the contract; completing
/// registers the new mandate from its effective month and marks the previous one replaced.
pub(crate) struct MandateChangeProcedure;

impl ProcedureRules for MandateChangeProcedure {
    const PROCEDURE: Procedure = Procedure::MandateChange;
    type Target = str;
    type Form = MandateForm;
    type Input = BankAccount;
    type Done = MandatePlan;
    type Answer = MandateChange;

    fn parse(form: &MandateForm) -> Result<BankAccount, AppError> {
        form.parse()
    }

    async fn subject(
        _app: &App,
        conn: &mut AnyConnection,
        actor: &Actor,
        number: &str,
        _input: &BankAccount,
    ) -> Result<Subject, AppError> {
        let c = active_contract(conn, actor, number).await?;
        // Serialises changes of one contract (PostgreSQL runs writers concurrently).
        contracts::lock(conn, c.id).await?;
        Ok(contract_subject(&c))
    }

    async fn check(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        input: &BankAccount,
        rules: &RuleSet,
    ) -> Result<Checked<MandateChange>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let mandates = contracts::mandates_for(conn, c.id).await?;
        if let Some(current) = mandates
            .iter()
            .find(|m| m.status == MandateStatus::Active && same_account(m, input))
        {
            // A double submit (or the account already registered): nothing to do.
            return Ok(Checked::Unchanged(MandateChange {
                application_id: current.application_id,
                changed: false,
                status: None,
                plan: app.plan(&c, input.clone())?,
            }));
        }
        // The holder must be someone the contract already debits (approved at enrollment or by
        // staff); anyone else's account is for staff to see first.
        let holder = if mandates
            .iter()
            .any(|m| same_holder(&m.holder_kana, &input.holder_kana))
        {
            passed(
                "account_holder",
                "口座名義は、ご登録の口座の名義と一致します。",
            )
        } else {
            review(
                "account_holder",
                "口座名義がご登録の口座の名義と一致しません。どなたの口座か職員が確認します。",
            )
        };
        Ok(Checked::Assessed(Assessment {
            rule_set: rules.id.clone(),
            checks: vec![
                holder,
                passed("contract_active", "契約は有効です。"),
                passed(
                    "bank_branch_exists",
                    "金融機関・支店は全銀協の金融機関データにあります。",
                ),
                passed("account_number", "口座番号は7桁の数字です。"),
                passed(
                    "holder_kana",
                    "口座名義は全銀協の文字（半角カナ）に変換できます。",
                ),
            ],
        }))
    }

    async fn complete(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        input: &BankAccount,
    ) -> Result<MandatePlan, AppError> {
        let c = subject_contract(conn, subject).await?;
        let plan = app.plan(&c, input.clone())?;
        let mandates = contracts::mandates_for(conn, c.id).await?;
        let replaced = contracts::replace_active_mandate(conn, c.id).await?;
        let a = &plan.account;
        let mandate_id = contracts::insert_mandate(
            conn,
            &contracts::NewMandate {
                contract_id: c.id,
                bank_code: &a.bank_code,
                branch_code: &a.branch_code,
                account_type: &a.account_type,
                account_number: &a.account_number,
                holder_kana: &a.holder_kana,
                effective_month: Some(plan.effective_month),
                application_id: Some(filed.application_id),
                now: &filed.now,
            },
        )
        .await?;
        let before: Vec<_> = mandates
            .iter()
            .map(|m| json!({"id": m.id, "status": m.status}))
            .collect();
        filed.audit(
            "mandate.changed",
            &format!("contract:{}", c.id),
            Some(&json!({ "mandates": before })),
            Some(&json!({
                "mandate": mandate_id,
                "replaced": replaced,
                "bank_code": a.bank_code,
                "branch_code": a.branch_code,
                "account": masked_number(&a.account_number),
                "effective_month": plan.effective_month.to_string(),
                "application": filed.application_id,
            })),
        );
        Ok(plan)
    }

    async fn answer(
        app: &App,
        conn: &mut AnyConnection,
        filed: &Filed,
        subject: &Subject,
        _assessment: Assessment,
        input: BankAccount,
        done: Option<MandatePlan>,
    ) -> Result<MandateChange, AppError> {
        let changed = done.is_some();
        let status = filed.status;
        let plan = match done {
            Some(plan) => plan,
            None => app.plan(&subject_contract(conn, subject).await?, input)?,
        };
        Ok(MandateChange {
            plan,
            application_id: Some(filed.application_id),
            changed,
            status: Some(status),
        })
    }

    /// 契約内容確認書 with the debit account before and after.
    async fn letter(
        app: &App,
        conn: &mut AnyConnection,
        subject: &Subject,
        _input: &BankAccount,
        plan: &MandatePlan,
    ) -> Result<Option<(ContractId, Letter)>, AppError> {
        let c = subject_contract(conn, subject).await?;
        let mandates = contracts::mandates_for(conn, c.id).await?;
        let shown = |m: Option<&contracts::Mandate>| {
            m.map_or_else(|| "（なし）".to_string(), mandate_label)
        };
        let before = shown(mandates.iter().rev().nth(1));
        let after = shown(mandates.last());
        let notice = app
            .contract_details_letter(
                conn,
                &c,
                Procedure::MandateChange.name_ja(),
                plan.effective_month.day(1),
                vec![ChangedItem {
                    item: "振替口座".into(),
                    before: ChangeValue::Text(before),
                    after: ChangeValue::Text(after),
                }],
            )
            .await?;
        Ok(Some((c.id, Letter::ContractDetails(notice))))
    }

    fn completed_mail(
        app: &App,
        subject: &Subject,
        _filed: &Filed,
        _input: &BankAccount,
        plan: &MandatePlan,
    ) -> MailText {
        app.change_mail(&subject.holder_name, &plan.contract_number, plan)
    }
}
