//! The contact center's caller console (共済相談室, issue #14 item 2). An operator who found the
//! caller's contract first confirms who is calling with a checklist: the operator types what the
//! caller answers and Kyosai compares it with what is registered, so the operator never reads the
//! registered values before the caller is identified. Only a passed check (by this operator, for
//! this contract, within [`IDENTIFICATION_MINUTES`]) opens the caller's contracts, procedures,
//! notices and debits, and lets the operator mail the caller a link to the online procedure they
//! asked about: the contact center guides callers to the online route instead of sending paper.

use jiff::SignedDuration;
use kyosai_domain::{FieldError, MandateStatus, Procedure, Program};
use kyosai_store::contracts::{self, Contract};
use kyosai_store::{caller_checks, inbox, timestamp_text};
use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use crate::billing::BilledMonth;
use crate::details_change::current_details;
use crate::procedure::MailText;
use crate::review::require_staff;
use crate::views::{ApplicationView, ContractView};
use crate::{Actor, App, AppError};

/// How long a passed check opens the caller's data: one call, with room for a long one.
pub const IDENTIFICATION_MINUTES: i64 = 30;

/// Besides the name, how many of the other checklist items must match.
pub const OTHER_ITEMS_REQUIRED: usize = 2;

/// How many notices and debits the console shows: the recent ones a caller asks about.
const RECENT: usize = 6;

/// One question of the identity checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckItem {
    /// The contract holder's name, or the registered representative's.
    Name,
    Postcode,
    Phone,
    /// The last four digits of the debit account.
    AccountDigits,
}

impl CheckItem {
    pub const ALL: [CheckItem; 4] = [
        CheckItem::Name,
        CheckItem::Postcode,
        CheckItem::Phone,
        CheckItem::AccountDigits,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckItem::Name => "name",
            CheckItem::Postcode => "postcode",
            CheckItem::Phone => "phone",
            CheckItem::AccountDigits => "account_digits",
        }
    }

    /// What the operator asks.
    pub fn question_ja(self) -> &'static str {
        match self {
            CheckItem::Name => "ご契約者のお名前（法人は代表者のお名前でも可）",
            CheckItem::Postcode => "ご登録の郵便番号",
            CheckItem::Phone => "ご登録の電話番号",
            CheckItem::AccountDigits => "掛金の引落口座の口座番号の下4桁",
        }
    }
}

/// What the caller answered, as the operator typed it.
#[derive(Debug, Clone, Default)]
pub struct CallerAnswers {
    pub name: String,
    pub postcode: String,
    pub phone: String,
    pub account_digits: String,
}

impl CallerAnswers {
    fn get(&self, item: CheckItem) -> &str {
        match item {
            CheckItem::Name => &self.name,
            CheckItem::Postcode => &self.postcode,
            CheckItem::Phone => &self.phone,
            CheckItem::AccountDigits => &self.account_digits,
        }
    }
}

/// The outcome of a check: which items matched (the operator is told which did not, never the
/// registered values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub passed: bool,
    pub matched: Vec<CheckItem>,
}

/// What the console shows about an identified caller.
#[derive(Debug, Clone)]
pub struct CallerView {
    pub contract_number: String,
    pub program: Program,
    pub holder_name: String,
    /// When the caller was identified (stored timestamp text).
    pub identified_at: String,
    /// Every contract of the member.
    pub contracts: Vec<ContractView>,
    /// Their procedures waiting for a decision.
    pub pending: Vec<ApplicationView>,
    /// Their latest procedures, whatever the status.
    pub recent: Vec<ApplicationView>,
    /// The latest notices: (subject, sent at).
    pub notices: Vec<(String, String)>,
    /// The latest debits of this contract, newest first.
    pub debits: Vec<BilledMonth>,
    /// The online procedures the operator can send a link to, for this contract.
    pub links: Vec<Procedure>,
}

/// The portal page of `procedure` for contract `number` of `program`, when the member can do it
/// online there. These are the portal's routes (a web test opens every one).
pub fn online_procedure_path(
    procedure: Procedure,
    program: Program,
    number: &str,
) -> Option<String> {
    let page = match procedure {
        Procedure::MandateChange => "account",
        Procedure::PremiumChange => "premium",
        Procedure::FrequencyChange if program == Program::SmallEnterprise => "frequency",
        Procedure::Prepayment => "prepayment",
        Procedure::Suspension => "suspension",
        Procedure::Resumption => "resumption",
        Procedure::PremiumDeferral if program == Program::SmallEnterprise => "deferral",
        Procedure::DetailsChange => "details",
        Procedure::Cancellation => "cancel",
        Procedure::TemporaryLoan if program == Program::SafetyNet => "temporary-loan",
        Procedure::BenefitClaim if program == Program::SmallEnterprise => "claim",
        Procedure::BankruptcyLoan if program == Program::SafetyNet => "bankruptcy-loan",
        Procedure::LoanEarlyRepayment => "loans",
        Procedure::MemberLoan if program == Program::SmallEnterprise => "member-loan",
        _ => return None,
    };
    Some(format!("/portal/contracts/{number}/{page}"))
}

/// Names compared as people say them: width and case folded, spaces ignored.
fn name_key(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Digits only, full-width digits folded: `〒１００-０００１` → `1000001`.
fn digits(s: &str) -> String {
    s.nfkc().filter(char::is_ascii_digit).collect()
}

impl App {
    /// Compares the caller's answers with the contract's registered details and records the
    /// check (which items matched, never the answers). Staff only.
    pub async fn check_caller(
        &self,
        actor: &Actor,
        number: &str,
        answers: &CallerAnswers,
    ) -> Result<CheckOutcome, AppError> {
        require_staff(actor)?;
        if CheckItem::ALL
            .iter()
            .all(|i| answers.get(*i).trim().is_empty())
        {
            return Err(AppError::Invalid(vec![FieldError::new(
                "name",
                "required",
                "お客さまが答えた内容を入力してください。",
            )]));
        }
        let mut tx = self.store.begin_write().await?;
        let c = contracts::by_number(tx.conn(), number)
            .await?
            .ok_or(AppError::NotFound)?;
        let registered = current_details(tx.conn(), &c).await?;
        let account = contracts::mandates_for(tx.conn(), c.id)
            .await?
            .into_iter()
            .rev()
            .find(|m| m.status == MandateStatus::Active)
            .map(|m| m.account_number);
        let matches = |item: CheckItem| {
            let answer = answers.get(item);
            match item {
                CheckItem::Name => {
                    let given = name_key(answer);
                    !given.is_empty()
                        && (given == name_key(&c.holder_name)
                            || given == name_key(&registered.representative))
                }
                CheckItem::Postcode => {
                    let given = digits(answer);
                    given.len() == 7 && digits(&registered.postcode) == given
                }
                CheckItem::Phone => {
                    let given = digits(answer);
                    given.len() >= 10 && digits(&registered.phone) == given
                }
                CheckItem::AccountDigits => {
                    let given = digits(answer);
                    given.len() == 4 && account.as_ref().is_some_and(|a| a.ends_with(&given))
                }
            }
        };
        let matched: Vec<CheckItem> = CheckItem::ALL.into_iter().filter(|i| matches(*i)).collect();
        let passed = matched.contains(&CheckItem::Name)
            && matched.iter().filter(|i| **i != CheckItem::Name).count() >= OTHER_ITEMS_REQUIRED;
        let matched_text = matched
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let now = self.clock.now_text();
        caller_checks::insert(
            tx.conn(),
            &caller_checks::NewCheck {
                operator_id: actor.user_id,
                member_id: c.member_id,
                contract_id: c.id,
                matched: &matched_text,
                passed,
                now: &now,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "caller.checked",
            &format!("user:{}", c.member_id),
            None,
            Some(&json!({ "contract": number, "matched": matched_text, "passed": passed })),
        )
        .await?;
        tx.commit().await?;
        Ok(CheckOutcome { passed, matched })
    }

    /// The contract, if this operator identified its caller within the last
    /// [`IDENTIFICATION_MINUTES`]; `identity_not_confirmed` otherwise.
    async fn identified_contract(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<(Contract, String), AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let c = contracts::by_number(&mut conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        let since =
            timestamp_text(self.clock.now() - SignedDuration::from_mins(IDENTIFICATION_MINUTES));
        let at = caller_checks::passed_since(&mut conn, actor.user_id, c.id, &since)
            .await?
            .ok_or_else(|| {
                AppError::conflict(
                    "identity_not_confirmed",
                    "お客さまの本人確認が済んでいません。確認項目をお尋ねしてから表示してください。",
                )
            })?;
        Ok((c, at))
    }

    /// The identified caller's contracts, procedures, notices and debits (audited as a view of
    /// personal data).
    pub async fn caller_view(&self, actor: &Actor, number: &str) -> Result<CallerView, AppError> {
        let (c, identified_at) = self.identified_contract(actor, number).await?;
        let overview = self.overview(actor, c.member_id).await?;
        let notices = {
            let mut conn = self.store.read().await?;
            inbox::page(&mut conn, c.member_id, RECENT as i64, 0).await?
        };
        let mut debits = self.contract_billing(actor, number).await?.months;
        debits.reverse();
        debits.truncate(RECENT);
        self.log_personal_data_view(actor, c.member_id, "caller", number)
            .await?;
        let mut recent = overview.applications.clone();
        recent.reverse();
        recent.truncate(RECENT);
        Ok(CallerView {
            contract_number: c.number.clone(),
            program: c.program,
            holder_name: c.holder_name.clone(),
            identified_at,
            pending: overview
                .applications
                .iter()
                .filter(|a| a.status == kyosai_domain::ApplicationStatus::InReview)
                .cloned()
                .collect(),
            recent,
            contracts: overview.contracts,
            notices: notices
                .into_iter()
                .map(|n| (n.subject, n.created_at))
                .collect(),
            debits,
            links: Procedure::ALL
                .into_iter()
                .filter(|p| online_procedure_path(*p, c.program, &c.number).is_some())
                .collect(),
        })
    }

    /// Mails the identified caller a link to `procedure`'s online page for the contract (and a
    /// copy to their portal inbox), so they do it online instead of waiting for a paper form.
    pub async fn send_procedure_link(
        &self,
        actor: &Actor,
        number: &str,
        procedure: &str,
    ) -> Result<Procedure, AppError> {
        let (c, _) = self.identified_contract(actor, number).await?;
        let Some((procedure, path)) = Procedure::parse(procedure.trim())
            .and_then(|p| online_procedure_path(p, c.program, &c.number).map(|path| (p, path)))
        else {
            return Err(AppError::invalid(
                "procedure",
                "not_online",
                "ご案内する手続きを選んでください。",
            ));
        };
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let text = MailText {
            subject: format!("【共済】お手続きのご案内（{}）", procedure.name_ja()),
            body: format!(
                "お電話でご案内したお手続きは、次のリンクからオンラインでできます。\n\n■ {}（{}　共済契約者番号 {}）\n{}{}\n\nログインすると、お手続きの画面が開きます。書類の郵送や押印は要りません。\nお手続きの結果は、メールとポータルのお知らせでお伝えします。\n\n■ 画面つきの説明\n{}/help/{}\n\nこのメールにお心当たりのない場合は、共済相談室までご連絡ください。\n",
                procedure.name_ja(),
                c.program.name_ja(),
                c.number,
                self.public_url,
                path,
                self.public_url,
                procedure.as_str()
            ),
        };
        self.mail_member(tx.conn(), c.member_id, text, &now).await?;
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "caller.link_sent",
            &format!("user:{}", c.member_id),
            None,
            Some(&json!({ "contract": number, "procedure": procedure.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(procedure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_compared_as_people_say_them() {
        assert_eq!(name_key("山田　太郎"), name_key("山田太郎"));
        assert_eq!(name_key("ＡＢＣ商店"), name_key("abc商店"));
        assert_eq!(digits("〒１００-０００１"), "1000001");
        assert_eq!(digits("03 (1234) 5678"), "0312345678");
    }

    #[test]
    fn links_only_where_the_portal_has_the_page() {
        let se = Program::SmallEnterprise;
        let sn = Program::SafetyNet;
        assert_eq!(
            online_procedure_path(Procedure::PremiumChange, sn, "100000211").as_deref(),
            Some("/portal/contracts/100000211/premium")
        );
        assert!(online_procedure_path(Procedure::FrequencyChange, se, "1").is_some());
        assert!(online_procedure_path(Procedure::FrequencyChange, sn, "1").is_none());
        assert!(online_procedure_path(Procedure::Enrollment, se, "1").is_none());
    }
}
