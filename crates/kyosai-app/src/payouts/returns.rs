//! `kyosai payouts import-returns FILE…`: a bank's return of transfers it could not credit
//! (振込不能: account closed, name differs, …).
//!
//! Banks deliver 振込不能 in their own ways; none is a Zengin standard. Kyosai takes them in the
//! one layout every bank reads and writes, the 総合振込 (種別 21) file itself: the records of
//! the transfers that came back, as they were sent (the operator keeps the bank's records or
//! cuts them from the delivered file). Each record names its payout by 顧客コード1 and must
//! match it exactly (originator, transfer date, bank, branch, account, amount); otherwise the
//! whole file is refused with a report of what was wrong and where, and nothing changes. The
//! same bytes twice are refused.
//!
//! A returned payout is put on hold with the reason the member reads, a negative `paid_out`
//! ledger entry takes its amount back (the money is back in the Organization's account), a
//! refund it settled is payable again, and the member is asked by mail and in the portal for a
//! new account; the next run pays it there.

use std::collections::HashSet;

use kyosai_domain::Yen;
use kyosai_domain::payout::PayoutStatus;
use kyosai_domain::{PayoutId, YearMonth};
use kyosai_store::billing as bstore;
use kyosai_store::payouts as store;
use kyosai_store::{ledger, sha256_hex};
use kyosai_zengin::transfer::parse_transfer_file;
use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::billing::{ImportError, ImportProblem, Refusal};
use crate::ja_text::ja_date;
use crate::mail::{self, Mail};

/// Why a returned payout waits, as the member reads it.
pub const RETURNED_JA: &str = "お振込み先の金融機関から、口座に入金できなかったとの連絡がありました（口座の解約、名義の相違など）。新しいお振込み先の口座をご登録ください。";

/// What an imported return file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReturnsOutcome {
    pub file_name: String,
    pub returned_count: i64,
    pub returned_yen: i64,
    /// (contract number, payout id, yen) of each payout put on hold.
    pub held: Vec<(String, PayoutId, i64)>,
}

impl App {
    /// Imports one return file (see the module documentation).
    #[tracing::instrument(skip_all, fields(file_name))]
    pub async fn import_payout_returns(
        &self,
        file_name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<ReturnsOutcome, ImportError> {
        let refuse = |problems: Vec<ImportProblem>| {
            ImportError::Refused(Refusal {
                file_name: file_name.to_string(),
                problems,
                omitted: 0,
            })
        };
        let whole = |code: &str, message: String| ImportProblem {
            record: 0,
            code: code.into(),
            message,
        };
        let sha = sha256_hex(bytes);
        let file = parse_transfer_file(bytes)
            .map_err(|r| ImportError::Refused(Refusal::from_report(file_name, &r)))?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if let Some(at) = store::return_import_exists(tx.conn(), &sha).await? {
            return Err(refuse(vec![whole(
                "already_imported",
                format!(
                    "この返却ファイルは {at} に取り込み済みです（同一内容の再取り込みはできません）。"
                ),
            )]));
        }
        let header = file.header();
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut returned = Vec::new();
        for r in file.records() {
            let mut bad = |code: &str, message: String| {
                problems.push(ImportProblem {
                    record: r.number,
                    code: code.into(),
                    message,
                })
            };
            let rec = &r.record;
            let Some(id) = rec
                .customer_code1
                .and_then(|c| c.to_u64())
                .and_then(|v| i64::try_from(v).ok())
                .map(PayoutId::new)
            else {
                bad(
                    "unmatched",
                    "顧客コード1がKyosaiの支払番号を指していません。".into(),
                );
                continue;
            };
            let Some(p) = store::get(tx.conn(), id).await? else {
                bad("unmatched", format!("支払番号{id}の支払いはありません。"));
                continue;
            };
            if !seen.insert(id) {
                bad("duplicate", format!("支払番号{id}が重複しています。"));
                continue;
            }
            if p.status != PayoutStatus::Paid {
                bad(
                    "not_paid",
                    format!(
                        "支払番号{id}は振込済みではありません（{}）。",
                        p.status.as_str()
                    ),
                );
                continue;
            }
            let run = match p.run_id {
                Some(run_id) => store::run_by_id(tx.conn(), run_id).await?,
                None => None,
            };
            let same_date = run.as_ref().is_some_and(|run| {
                i8::try_from(header.transfer_date.month()).ok() == Some(run.transfer_date.month())
                    && i8::try_from(header.transfer_date.day()).ok()
                        == Some(run.transfer_date.day())
            });
            if !same_date {
                bad(
                    "transfer_date_mismatch",
                    format!(
                        "ヘッダーの振込指定日（{}月{}日）が、支払番号{id}を振り込んだ日と一致しません。",
                        header.transfer_date.month(),
                        header.transfer_date.day()
                    ),
                );
                continue;
            }
            if p.amount.get() != rec.amount
                || p.account.bank_code != rec.bank_code.as_str()
                || p.account.branch_code != rec.branch_code.as_str()
                || p.account.account_number != rec.account_number.as_str()
            {
                bad(
                    "mismatch",
                    format!(
                        "支払番号{id}の金額または口座が振り込んだ内容と一致しません（振込 {}、返却 {}）。",
                        p.amount,
                        Yen::new(rec.amount)
                    ),
                );
                continue;
            }
            returned.push(p);
        }
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        if returned.is_empty() {
            return Err(refuse(vec![whole(
                "empty",
                "返却された振込のレコードがありません。".into(),
            )]));
        }
        let import_id = store::insert_return_import(
            tx.conn(),
            file_name,
            &sha,
            returned.len() as i64,
            actor,
            &now,
        )
        .await?;
        let month = YearMonth::of(self.clock.today()).to_string();
        let mut out = ReturnsOutcome {
            file_name: file_name.to_string(),
            ..Default::default()
        };
        let mut mails = Vec::new();
        for p in &returned {
            store::hold(tx.conn(), p.id, RETURNED_JA, Some(import_id)).await?;
            ledger::post(
                tx.conn(),
                &ledger::Entry {
                    contract_id: p.contract_id,
                    month: &month,
                    kind: "paid_out",
                    amount: -p.amount.get(),
                    months: 0,
                    reason: &format!("payout_return:{}", p.id),
                },
                &now,
            )
            .await?;
            store::reopen_source(tx.conn(), &p.source).await?;
            let (number, holder) = store::contract_of(tx.conn(), p.contract_id).await?;
            if let Some((member_id, email)) = bstore::contact(tx.conn(), p.contract_id).await? {
                mails.push((
                    member_id,
                    returned_mail(&email, &holder, &number, p, &self.public_url),
                ));
            }
            self.audit(
                tx.conn(),
                actor,
                "payout.returned",
                &format!("payout:{}", p.id),
                Some(&json!({ "status": "paid" })),
                Some(&json!({ "status": "held", "return_import": import_id, "file": file_name })),
            )
            .await?;
            out.returned_count += 1;
            out.returned_yen += p.amount.get();
            out.held.push((number, p.id, p.amount.get()));
        }
        mail::send_to_members(tx.conn(), &mails, &now).await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// The member's letter: the transfer could not be made, and where to give a new account.
fn returned_mail(
    email: &str,
    holder: &str,
    number: &str,
    p: &store::Payout,
    public_url: &str,
) -> Mail {
    Mail {
        to: email.to_string(),
        subject: "【共済】お振込みができませんでした（お振込み先のご登録のお願い）".into(),
        body: format!(
            "{holder} 様\n\n共済契約者番号 {number} の{}（{}、{}お振込み予定）は、お振込み先の金融機関から口座に入金できなかったとの連絡があったため、お振り込みできませんでした（口座の解約、名義の相違など）。\n\nお手数ですが、新しいお振込み先の口座を次のページからご登録ください。ご登録の翌営業日以降の振込日にお振り込みします。\n{public_url}/portal/contracts/{number}/payouts\n",
            p.kind.name_ja(),
            p.amount,
            ja_date(p.due_date),
        ),
        attachments: Vec::new(),
    }
}
