//! The March 掛金納付状況（及び貸付限度額等）のお知らせ (issue #13 item 4; REFERENCE §6.1, §4.5):
//! `kyosai documents issue --kind payment-status --year YYYY` issues one to every active
//! contract, as a document with its number, and mails it to the member (the PDF attached, a
//! copy in the portal's お知らせ and documents).
//!
//! Each letter is issued in its own transaction with its mail, and a contract that already has
//! the year's letter is skipped, so a run stopped half-way is simply run again.

use kyosai_docs::pdf::data::{Letter, PaymentStatusNotice};
use kyosai_domain::{Program, YearMonth, Yen};
use kyosai_store::{contracts, documents};

use crate::documents::DocumentKind;
use crate::ja_text::ja_date;
use crate::procedure::MailText;
use crate::{Actor, App, AppError};

/// What a run of the March notices did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusNoticeRun {
    /// Letters issued (and mailed) by this run.
    pub issued: usize,
    /// Active contracts that had the year's letter already (an earlier run).
    pub already_issued: usize,
}

/// The document period of the notices of `year`.
fn period(year: i16) -> String {
    format!("{year}-03")
}

impl App {
    /// Issues and mails the year's 掛金納付状況のお知らせ to every active contract that has not
    /// had it yet; `progress(done, total)`.
    pub async fn issue_payment_status_notices(
        &self,
        year: i16,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<StatusNoticeRun, AppError> {
        let (due, total) = {
            let mut conn = self.store.read().await?;
            let total = contracts::count_active(&mut conn).await?;
            let due = documents::active_contracts_without(
                &mut conn,
                DocumentKind::PaymentStatus.as_str(),
                &period(year),
            )
            .await?;
            (due, total)
        };
        for (i, number) in due.iter().enumerate() {
            self.issue_payment_status_notice(number, year).await?;
            progress(i + 1, due.len());
        }
        Ok(StatusNoticeRun {
            issued: due.len(),
            already_issued: usize::try_from(total)
                .unwrap_or(usize::MAX)
                .saturating_sub(due.len()),
        })
    }

    /// One contract's notice: the figures the portal shows today, the letter, its mail.
    async fn issue_payment_status_notice(&self, number: &str, year: i16) -> Result<(), AppError> {
        let system = Actor::system();
        let limits = self.loan_limits(&system, number).await?;
        let today = self.clock.today();
        let mut tx = self.store.begin_write().await?;
        let contract = contracts::by_number(tx.conn(), number)
            .await?
            .ok_or(AppError::NotFound)?;
        // The figures the portal's billing page shows.
        let (facts, _, _, standing) = self.billing_facts(tx.conn(), &contract).await?;
        let tax_notice = self.tax_notice(tx.conn(), &contract).await?;
        let paid = kyosai_store::paid::so_far(tx.conn(), contract.id).await?;
        let now_month = YearMonth::of(today);
        // Months paid ahead and not yet reached: those of each 前納 after this month.
        let months_prepaid: i32 = kyosai_store::prepayment::for_contract(tx.conn(), contract.id)
            .await?
            .iter()
            .map(|p| {
                let from = p.first_month.max(now_month.plus(1));
                (from.months_until(p.last_month) + 1).max(0)
            })
            .sum();
        let loan_limit = match contract.program {
            Program::SafetyNet => Some(limits.bankruptcy_loan_multiple_limit),
            Program::SmallEnterprise => limits.member_loan_limit,
        };
        let notice = PaymentStatusNotice {
            head: self.letter_head(tx.conn(), &contract).await?,
            as_of: today,
            monthly_premium: facts.premium_for(now_month),
            months_paid: u32::try_from(paid.months).unwrap_or(0),
            total_paid: Yen::new(paid.yen),
            months_unpaid: u32::try_from(standing.unpaid.len()).unwrap_or(u32::MAX),
            months_prepaid: u32::try_from(months_prepaid).unwrap_or(0),
            loan_limit,
            notes: tax_notice.into_iter().collect(),
        };
        let letter = Letter::PaymentStatus(notice.clone());
        let attachment = self
            .issue_letter(tx.conn(), contract.id, &period(year), &letter)
            .await?;
        let title = attachment.file_name.trim_end_matches(".pdf").to_string();
        let mut body = format!(
            "{} 様\n\n{}の{}をお送りします（{}現在）。\n\n\
             共済契約者番号：{}\n掛金月額：{}\n掛金納付月数：{}か月\n掛金総額：{}\n",
            contract.holder_name,
            contract.program.name_ja(),
            title,
            ja_date(today),
            contract.number,
            notice.monthly_premium,
            notice.months_paid,
            notice.total_paid,
        );
        if notice.months_unpaid > 0 {
            body.push_str(&format!("未納の月数：{}か月\n", notice.months_unpaid));
        }
        if let Some(limit) = loan_limit {
            body.push_str(&format!("貸付限度額：{limit}\n"));
        }
        for note in &notice.notes {
            body.push_str(&format!("\n{note}\n"));
        }
        body.push_str(&format!(
            "\n納付の状況は、マイページでいつでもご確認いただけます。\n{}/portal\n",
            self.public_url
        ));
        body.push_str(&self.attachment_note(&attachment, &letter.head().contract_number));
        self.mail_member_with(
            tx.conn(),
            contract.member_id,
            MailText {
                subject: format!("【{}】{}", contract.program.name_ja(), title),
                body,
            },
            vec![attachment],
            &self.clock.now_text(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
