//! What each document says, as typed data. The ledger (through `kyosai-app`) fills these from
//! the same records the portal shows; the templates only lay them out, so no figure is ever
//! written in a template. Totals the caller passes are checked against their parts before a
//! page is made (a certificate whose lines do not add up is never printed).

use jiff::civil::Date;
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::rules::PaymentFrequency;
use kyosai_domain::{ContractNumber, Program, YearMonth, Yen};
use serde::{Deserialize, Serialize};

/// Who issues the document, printed in its footer and letterhead. Comes from the configuration
/// (`rules/organization.toml` and the office's address), never from a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// e.g. 独立行政法人 中小企業基盤整備機構（中小機構）.
    pub name: String,
    /// The issuing section, e.g. 小規模共済契約課 (REFERENCE §6.2).
    pub section: String,
    /// Postal address with postcode, as printed.
    pub address: String,
    /// e.g. 共済相談室 050-5541-7171.
    pub contact_center: String,
    /// e.g. 平日 9時〜17時.
    pub contact_hours: String,
}

/// The member the document is addressed to, as registered (届出事項).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressee {
    /// 共済契約者 name: a person or a company (with its representative if the caller wants it).
    pub name: String,
    /// `105-8453` form; printed as 〒105-8453.
    pub postcode: String,
    pub address: String,
}

/// What identifies one issued document: its number, the day it was issued and the address where
/// a third party (tax office, bank) checks what it says (`/verify/{document_number}`, printed
/// and encoded in the QR code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentIdentity {
    pub document_number: String,
    pub issued_on: Date,
    pub verify_url: String,
}

/// The parts every letter shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterHead {
    pub identity: DocumentIdentity,
    pub organization: Organization,
    pub addressee: Addressee,
    pub program: Program,
    pub contract_number: ContractNumber,
    /// The short address of the survey about the procedure the letter completes, printed on
    /// letters that answer a paper form (the online channel links it from the done page).
    #[serde(default)]
    pub survey_url: Option<String>,
}

/// Premiums collected in one month of the certificate's year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyPremium {
    /// The month the money was collected (debit or payment), within the certificate's year.
    pub month: YearMonth,
    pub amount: Yen,
}

/// For the current year: what is paid so far and what is still expected by December, so a
/// member can file before the year's last debit (the iDeCo certificate's 納付済額 + 見込額 +
/// 合計, REFERENCE §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearToDate {
    /// The day `paid_so_far` is counted up to.
    pub as_of: Date,
    pub paid_so_far: Yen,
    pub expected_by_december: Yen,
}

/// 小規模企業共済掛金控除証明書 for one contract and calendar year (REFERENCE §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionCertificate {
    pub head: LetterHead,
    /// The calendar year (年分) the premiums were paid in.
    pub year: i16,
    /// The monthly premium in force at the end of the period covered.
    pub monthly_premium: Yen,
    /// Premiums collected, month by month, in month order.
    pub months: Vec<MonthlyPremium>,
    /// Sum of `months` (checked).
    pub paid_total: Yen,
    /// 前納 (prepaid premiums) applied to months of this year.
    pub prepayment_applied: Yen,
    /// 前納減額金 received in the year; the deductible amount is paid less this (REFERENCE §2.3).
    pub prepayment_discount: Yen,
    /// The 控除額; `None` prints "****": the year's amount cannot be fixed (unpaid premiums, or a
    /// change or 一括納付 creating cross-year 前納; REFERENCE §7.1).
    pub deductible: Option<Yen>,
    /// Present for the current year only.
    pub year_to_date: Option<YearToDate>,
}

/// 共済契約締結証書: sent when a contract is concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCertificate {
    pub head: LetterHead,
    /// The day the contract took effect (契約締結日).
    pub contract_date: Date,
    /// First month whose premium is collected.
    pub first_premium_month: YearMonth,
    pub monthly_premium: Yen,
    pub payment_frequency: PaymentFrequency,
    /// Debit account as printed (bank, branch, masked number).
    pub debit_account: String,
    /// 倒産防止: the 登録取扱機関 shown on this certificate (REFERENCE §6.2).
    pub registered_institution: Option<String>,
}

/// A value in a before/after line of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeValue {
    Amount(Yen),
    Date(Date),
    Month(YearMonth),
    Text(String),
}

/// One item a change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedItem {
    /// What changed, e.g. 掛金月額.
    pub item: String,
    pub before: ChangeValue,
    pub after: ChangeValue,
}

/// 契約内容確認書: the contract as it stands after a change (REFERENCE §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractDetailsNotice {
    pub head: LetterHead,
    /// The procedure, e.g. 掛金月額の変更.
    pub change: String,
    pub effective_from: Date,
    pub changes: Vec<ChangedItem>,
    /// The contract after the change.
    pub contract_date: Date,
    pub monthly_premium: Yen,
    pub payment_frequency: PaymentFrequency,
    pub months_paid: u32,
    pub debit_account: String,
}

/// 掛金納付状況（及び貸付限度額等）のお知らせ, sent every March (REFERENCE §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStatusNotice {
    pub head: LetterHead,
    /// The position the figures describe (end of February or March).
    pub as_of: Date,
    pub monthly_premium: Yen,
    pub months_paid: u32,
    /// 掛金総額 paid up to `as_of`.
    pub total_paid: Yen,
    pub months_unpaid: u32,
    /// Months paid ahead (前納) at `as_of`.
    pub months_prepaid: u32,
    /// 貸付限度額: 倒産防止's 共済金貸付 limit (or 小規模's 契約者貸付 limit), as the rules give it.
    pub loan_limit: Option<Yen>,
    /// Notes the rules attach, e.g. the two-year rule of 措法66条の11 for 倒産防止.
    pub notes: Vec<String>,
}

/// 解除通知書 (解約通知書 for 倒産防止): the contract has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationNotice {
    pub head: LetterHead,
    /// e.g. 機構解除 (`CancellationKind::name_ja`).
    pub kind: String,
    pub cancelled_on: Date,
    pub reason: String,
    pub months_paid: u32,
    pub total_paid: Yen,
    /// 解約手当金 and its payment day, when one is due.
    pub refund: Option<(Yen, Date)>,
}

/// A deduction from a payout (未返済貸付金, 未納掛金, 後納割増金…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduction {
    pub label: String,
    pub amount: Yen,
}

/// One payment of the payout schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledPayment {
    pub date: Date,
    pub amount: Yen,
}

/// 支払決定通知書兼振込通知書 (REFERENCE §6.1): what is paid, what was deducted, when and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutDecisionNotice {
    pub head: LetterHead,
    pub kind: PayoutKind,
    /// e.g. 廃業（個人事業の廃止）.
    pub reason: String,
    pub decided_on: Date,
    pub gross: Yen,
    pub deductions: Vec<Deduction>,
    /// `gross` less the deductions (checked).
    pub net: Yen,
    /// Day of the first (or only) transfer.
    pub payment_date: Date,
    pub account: String,
    /// Every transfer, first included; one line for a lump sum. Sums to `net` (checked).
    pub schedule: Vec<ScheduledPayment>,
}

/// A report read outside the member relationship, such as the online-usage scorecard for the
/// third-party committee (issue #14 item 5): sections of tables whose figures the caller has
/// already put in the words and formats the readers use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    /// e.g. the period the figures cover.
    pub subtitle: String,
    pub issued_on: Date,
    /// The issuing organization's name (document metadata and the cover line).
    pub author: String,
    pub sections: Vec<ReportSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSection {
    pub heading: String,
    /// What the figures mean (may be empty).
    pub note: String,
    /// Column headings; every row has exactly one cell per column.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Any member letter (item 4), as stored with its document number: the JSON says which letter
/// it is, so a stored letter renders again exactly as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "letter", rename_all = "snake_case")]
pub enum Letter {
    ContractCertificate(ContractCertificate),
    ContractDetails(ContractDetailsNotice),
    PaymentStatus(PaymentStatusNotice),
    Cancellation(CancellationNotice),
    PayoutDecision(PayoutDecisionNotice),
}

impl Letter {
    pub fn head(&self) -> &LetterHead {
        match self {
            Letter::ContractCertificate(l) => &l.head,
            Letter::ContractDetails(l) => &l.head,
            Letter::PaymentStatus(l) => &l.head,
            Letter::Cancellation(l) => &l.head,
            Letter::PayoutDecision(l) => &l.head,
        }
    }

    pub fn head_mut(&mut self) -> &mut LetterHead {
        match self {
            Letter::ContractCertificate(l) => &mut l.head,
            Letter::ContractDetails(l) => &mut l.head,
            Letter::PaymentStatus(l) => &mut l.head,
            Letter::Cancellation(l) => &mut l.head,
            Letter::PayoutDecision(l) => &mut l.head,
        }
    }
}
