//! Arrears of 12 months or more (REFERENCE §2.7): the 納付書 with its 『契約解除予告』, and the
//! import of payment files that report slips paid.
//!
//! The billing run issues the slip when a contract's unpaid months reach the rule set's
//! threshold (the arrears are no longer debited, `kyosai_domain::billing::due_for_month`): one
//! open slip per contract, for every unpaid month, with a deadline from the rule set, mailed to
//! the member and shown on the billing page. A paid slip counts as a collected line when a
//! standing is replayed, so its months are paid everywhere (billing, refunds, the portal); its
//! months are also posted to the ledger as `collected`. Only a contract whose slip is still open
//! after its deadline becomes a 機構解約/解除 candidate (`termination`).
//!
//! The payment file format is documented in `kyosai_domain::arrears`. A file is validated whole
//! against the slips (reference known, slip open, contract active, amount equal to the slip's,
//! paid on or after the slip was issued and not in the future); any problem refuses it with a
//! report of what and where, and nothing is posted. A file is imported once (sha256).

use jiff::civil::Date;
use kyosai_domain::arrears::{self as dom, SlipPayment};
use kyosai_domain::billing as bdom;
use kyosai_domain::rules::RuleSet;
use kyosai_domain::{ContractId, PaymentImportId, Program, YearMonth, Yen};
use kyosai_store::billing::LineWithResult;
use kyosai_store::payment_slips::{self as store, Slip};
use kyosai_store::{ledger, sha256_hex};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use crate::billing::{ImportError, ImportProblem, Refusal, histories, internal};
use crate::ja_text::{ja_date, ja_month};
use crate::mail::{self, Mail};
use crate::{App, AppError};

/// A 納付書 as the member and staff see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentSlipView {
    /// The slip's own reference (quoted when paying).
    pub reference: String,
    pub issued_on: String,
    /// Pay by this day, or the contract is cancelled (契約解除予告).
    pub deadline: String,
    pub amount_yen: i64,
    /// The premium months it pays.
    pub months: Vec<YearMonth>,
    /// `open`, `paid` or `cancelled`.
    pub status: String,
    pub paid_on: Option<String>,
    /// Plain Japanese: what to do, or what happened.
    pub explanation: String,
}

impl PaymentSlipView {
    pub(crate) fn from_row(s: &Slip) -> Result<PaymentSlipView, AppError> {
        let items = bdom::decode_items(&s.items)
            .ok_or_else(|| internal(format!("payment slip {} items are invalid", s.id)))?;
        let deadline: Date = s.deadline.parse().map_err(internal)?;
        let explanation = match (s.status.as_str(), &s.paid_on) {
            ("paid", Some(on)) => format!(
                "{}に納付を確認しました。未納の掛金は解消し、口座振替を再開します。",
                ja_date(on.parse().map_err(internal)?)
            ),
            ("cancelled", _) => "共済契約の解除により、この納付書は無効になりました。".into(),
            _ => format!(
                "{}までに、この納付書で金融機関またはコンビニエンスストアでお支払いください。期限までにお支払いがない場合、共済契約は解除されます。",
                ja_date(deadline)
            ),
        };
        Ok(PaymentSlipView {
            reference: s.reference.clone(),
            issued_on: s.issued_on.clone(),
            deadline: s.deadline.clone(),
            amount_yen: s.amount,
            months: items.iter().map(|i| i.month).collect(),
            status: s.status.clone(),
            paid_on: s.paid_on.clone(),
            explanation,
        })
    }
}

/// Adds paid slips to a contract's bill lines as collected lines, each after the lines of its
/// month, for replaying the standing.
pub(crate) fn merge_slips(
    mut lines: Vec<LineWithResult>,
    slips: Vec<LineWithResult>,
) -> Vec<LineWithResult> {
    if slips.is_empty() {
        return lines;
    }
    lines.extend(slips);
    // Stable: bill lines keep their order; slips (negative ids) follow their month's line.
    lines.sort_by(|a, b| {
        (a.contract_id, &a.month, a.id < 0).cmp(&(b.contract_id, &b.month, b.id < 0))
    });
    lines
}

/// A contract's bill lines with its paid slips, for replaying its standing.
pub(crate) async fn lines_with_slips(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<LineWithResult>, AppError> {
    let lines = kyosai_store::billing::lines_for_contract(conn, contract_id).await?;
    let slips = store::paid_as_lines(conn, contract_id, contract_id, "0000-00", "9999-99").await?;
    Ok(merge_slips(lines, slips))
}

/// Whether a contract's slip is open and past its deadline on `today` (the condition for a
/// 機構解約/解除 candidate).
pub(crate) async fn slip_overdue(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    today: Date,
) -> Result<Option<Slip>, AppError> {
    let Some(slip) = store::open_for_contract(conn, contract_id).await? else {
        return Ok(None);
    };
    let deadline: Date = slip.deadline.parse().map_err(internal)?;
    Ok((deadline < today).then_some(slip))
}

/// The 納付書 and 『契約解除予告』 of one contract, as a mail.
fn slip_mail(
    email: &str,
    number: &str,
    program: Program,
    reference: &str,
    slip: &dom::NewSlip,
    public_url: &str,
) -> Mail {
    let (kind, months) = (
        match program {
            Program::SmallEnterprise => "機構解除",
            Program::SafetyNet => "機構解約",
        },
        slip.items
            .iter()
            .map(|i| format!("  {} {}\n", ja_month(i.month), i.amount))
            .collect::<String>(),
    );
    Mail {
        to: email.to_string(),
        subject: format!("【{}】納付書の送付と契約解除予告", program.name_ja()),
        body: format!(
            "共済契約者番号 {number} の{}の掛金が{}か月分未納となったため、未納の掛金は口座振替ができなくなりました。\n\n■ 納付書\n参照番号：{reference}\n金額：{}\n内訳：\n{months}納付期限：{}\nお支払い場所：金融機関またはコンビニエンスストア（この納付書をお持ちください）\n\n■ 契約解除予告\n納付期限までにお支払いが確認できない場合、共済契約を解除します（{kind}）。解除後の解約手当金は、納付済みの掛金をもとに計算します。\n\n納付書はポータルの掛金のページでも確認できます。\n{public_url}/portal\n",
            program.name_ja(),
            slip.items.len(),
            slip.amount,
            ja_date(slip.deadline),
        ),
        attachments: Vec::new(),
    }
}

impl App {
    /// Issues the 納付書 of a contract whose unpaid months reached the threshold, unless it has
    /// an open one: stored, mailed (with the 契約解除予告) and audited in the caller's
    /// transaction. The unpaid months are derived from the whole history under the contract's
    /// lock (the run's own view covers 24 months and may predate a payment). Returns whether a
    /// slip was issued.
    pub(crate) async fn issue_payment_slip(
        &self,
        conn: &mut AnyConnection,
        rules: &RuleSet,
        (contract_id, number, email): (ContractId, &str, &str),
        program: Program,
        (today, now): (Date, &str),
    ) -> Result<bool, AppError> {
        // A payment file may have paid a slip since the run read the standing: serialise with
        // it on the contract row and derive the unpaid months again before issuing.
        kyosai_store::contracts::lock(conn, contract_id).await?;
        if store::open_for_contract(conn, contract_id).await?.is_some() {
            return Ok(false);
        }
        let standing = bdom::standing(&histories(&lines_with_slips(conn, contract_id).await?)?);
        if bdom::termination_threshold(rules).is_none_or(|t| standing.unpaid.len() < t as usize) {
            return Ok(false);
        }
        let Some(slip) = dom::slip_for(rules, &standing.unpaid, today) else {
            return Ok(false);
        };
        let seq = store::count_for_contract(conn, contract_id).await? + 1;
        let reference = dom::slip_reference(number, u32::try_from(seq).map_err(internal)?);
        let inserted = store::insert_open(
            conn,
            &store::NewSlip {
                contract_id,
                reference: &reference,
                issued_on: &today.to_string(),
                deadline: &slip.deadline.to_string(),
                items: &bdom::encode_items(&slip.items),
                amount: slip.amount.get(),
            },
            now,
        )
        .await?;
        if inserted.is_none() {
            return Ok(false);
        }
        let member_id = kyosai_store::contracts::get(conn, contract_id)
            .await?
            .ok_or(AppError::NotFound)?
            .member_id;
        // Mailed and kept in the member's お知らせ, like every member mail.
        mail::send_to_members(
            conn,
            &[(
                member_id,
                slip_mail(email, number, program, &reference, &slip, &self.public_url),
            )],
            now,
        )
        .await?;
        self.audit(
            conn,
            "billing",
            "payment_slip.issued",
            &format!("contract:{number}"),
            None,
            Some(
                &json!({ "reference": reference, "amount": slip.amount.get(),
                "deadline": slip.deadline.to_string(),
                "months": slip.items.iter().map(|i| i.month.to_string()).collect::<Vec<_>>() }),
            ),
        )
        .await?;
        Ok(true)
    }

    /// Imports a payment file (format: `kyosai_domain::arrears`): refused whole, with every
    /// problem and its line, when anything is wrong; else every slip in it is marked paid and
    /// its months posted to the ledger as collected, in one transaction.
    #[tracing::instrument(skip(self, bytes), fields(bytes = bytes.len()))]
    pub async fn import_payment_file(
        &self,
        file_name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<PaymentImport, ImportError> {
        let refuse = |problems: Vec<ImportProblem>| {
            ImportError::Refused(Refusal {
                file_name: file_name.to_string(),
                problems,
                omitted: 0,
            })
        };
        let whole = |code: &str, message: String| {
            refuse(vec![ImportProblem {
                record: 0,
                code: code.into(),
                message,
            }])
        };
        let sha = sha256_hex(bytes);
        let payments = dom::parse_payment_file(bytes).map_err(|ps| {
            refuse(
                ps.into_iter()
                    .map(|p| ImportProblem {
                        record: p.line,
                        code: p.code.into(),
                        message: p.message,
                    })
                    .collect(),
            )
        })?;
        let today = self.clock.today();
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if let Some(at) = store::import_exists(tx.conn(), &sha).await? {
            return Err(whole(
                "already_imported",
                format!(
                    "この納付ファイルは {at} に取り込み済みです（同一内容の再取り込みはできません）。"
                ),
            ));
        }
        let mut problems = Vec::new();
        let mut matched: Vec<(&SlipPayment, Slip)> = Vec::new();
        for p in &payments {
            let mut bad = |code: &str, message: String| {
                problems.push(ImportProblem {
                    record: p.line,
                    code: code.into(),
                    message,
                })
            };
            let Some(slip) = store::by_reference(tx.conn(), &p.reference).await? else {
                bad(
                    "unmatched",
                    format!("参照番号 {} の納付書はありません。", p.reference),
                );
                continue;
            };
            // Serialises with a billing run issuing a slip for the same contract.
            kyosai_store::contracts::lock(tx.conn(), slip.contract_id).await?;
            if slip.status != "open" {
                bad(
                    "not_open",
                    format!(
                        "参照番号 {} の納付書は納付済みまたは無効です。",
                        p.reference
                    ),
                );
                continue;
            }
            if p.amount.get() != slip.amount {
                bad(
                    "amount",
                    format!(
                        "参照番号 {} の金額が納付書と一致しません（納付書 {}、納付 {}）。",
                        p.reference,
                        Yen::new(slip.amount),
                        p.amount
                    ),
                );
                continue;
            }
            let issued: Date = slip.issued_on.parse().map_err(internal)?;
            if p.paid_on < issued || p.paid_on > today {
                bad(
                    "paid_on",
                    format!(
                        "納付日 {} が納付書の発行日（{}）から今日までの範囲にありません。",
                        p.paid_on, issued
                    ),
                );
                continue;
            }
            matched.push((p, slip));
        }
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let total: i64 = payments.iter().map(|p| p.amount.get()).sum();
        let import_id = store::insert_import(
            tx.conn(),
            &sha,
            file_name,
            actor,
            (payments.len() as i64, total),
            &now,
        )
        .await?;
        let mut paid = Vec::with_capacity(matched.len());
        for (p, slip) in matched {
            let month = p.paid_month().to_string();
            if !store::mark_paid(
                tx.conn(),
                slip.id,
                &p.paid_on.to_string(),
                &month,
                import_id,
            )
            .await?
            {
                return Err(whole(
                    "not_open",
                    format!(
                        "参照番号 {} の納付書は別の処理で納付済みになりました。",
                        p.reference
                    ),
                ));
            }
            let items = bdom::decode_items(&slip.items)
                .ok_or_else(|| internal(format!("payment slip {} items are invalid", slip.id)))?;
            let reason = format!("payment_slip:{}", slip.reference);
            for i in &items {
                ledger::post(
                    tx.conn(),
                    &ledger::Entry {
                        contract_id: slip.contract_id,
                        month: &i.month.to_string(),
                        kind: "collected",
                        amount: i.amount.get(),
                        months: 1,
                        reason: &reason,
                    },
                    &now,
                )
                .await?;
            }
            self.audit(
                tx.conn(),
                actor,
                "payment_slip.paid",
                &format!("payment_slip:{}", slip.reference),
                Some(&json!({ "status": "open" })),
                Some(&json!({ "status": "paid", "paid_on": p.paid_on.to_string(),
                    "amount": slip.amount, "import": import_id })),
            )
            .await?;
            paid.push(slip.reference);
        }
        tx.commit().await?;
        Ok(PaymentImport {
            file_name: file_name.to_string(),
            import_id,
            slips_paid: paid,
            total_yen: total,
        })
    }
}

/// An accepted payment file.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentImport {
    pub file_name: String,
    pub import_id: PaymentImportId,
    /// References of the slips marked paid.
    pub slips_paid: Vec<String>,
    pub total_yen: i64,
}
