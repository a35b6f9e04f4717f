//! From typed data to what a template prints: amounts with thousands separators (`12,345円`),
//! dates as `令和8年11月28日（2026年11月28日）`, labels in the program's own words. Totals are
//! checked against their parts here, so a template never adds anything up.

use jiff::civil::Date;
use kyosai_domain::japanese_era;
use kyosai_domain::{Program, YearMonth, Yen};
use serde_json::{Value, json};

use super::RenderError;
use super::data::{
    CancellationNotice, ChangeValue, ContractCertificate, ContractDetailsNotice,
    DeductionCertificate, Letter, LetterHead, PaymentStatusNotice, PayoutDecisionNotice, Report,
};

/// The title (document metadata and heading) and the template's own data.
pub type View = (String, Value);

/// `12,345円`.
fn yen(amount: Yen) -> String {
    amount.to_string()
}

/// `令和8年11月28日（2026年11月28日）`: the era form members and tax offices use, with the
/// Western date beside it.
fn date(day: Date) -> Result<String, RenderError> {
    let era = japanese_era::format_date(day).ok_or(RenderError::DateOutOfRange(day))?;
    Ok(format!(
        "{era}（{}年{}月{}日）",
        day.year(),
        day.month(),
        day.day()
    ))
}

/// `令和8年4月（2026年4月）`.
fn month(m: YearMonth) -> Result<String, RenderError> {
    let first = m.day(1);
    let (era, year) = japanese_era::era_year(first).ok_or(RenderError::DateOutOfRange(first))?;
    let year = if year == 1 {
        "元".to_string()
    } else {
        year.to_string()
    };
    Ok(format!(
        "{era}{year}年{}月（{}年{}月）",
        m.month(),
        m.year(),
        m.month()
    ))
}

fn months(n: u32) -> String {
    format!("{n}か月")
}

fn sum(amounts: impl IntoIterator<Item = Yen>, what: &str) -> Result<Yen, RenderError> {
    amounts
        .into_iter()
        .try_fold(Yen::ZERO, Yen::checked_add)
        .ok_or_else(|| RenderError::Inconsistent(format!("{what} overflows")))
}

fn check_equal(total: Yen, parts: Yen, what: &str) -> Result<(), RenderError> {
    if total == parts {
        Ok(())
    } else {
        Err(RenderError::Inconsistent(format!(
            "{what}: {total} given, the lines add up to {parts}"
        )))
    }
}

/// `105-8453`: seven digits as registered get the hyphen they are printed with.
fn postcode(code: &str) -> String {
    if code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

/// The shared letterhead and footer data.
pub fn head(h: &LetterHead, title: &str) -> Result<Value, RenderError> {
    let issued = h.identity.issued_on;
    Ok(json!({
        "title": title,
        "document_number": h.identity.document_number,
        "issued_on": date(issued)?,
        "issued": { "year": issued.year(), "month": issued.month(), "day": issued.day() },
        "verify_url": h.identity.verify_url,
        "survey_url": h.survey_url,
        "program": h.program.name_ja(),
        "contract_number": h.contract_number.digits(),
        "to": {
            "postcode": format!("〒{}", postcode(&h.addressee.postcode)),
            "address": h.addressee.address,
            "name": h.addressee.name,
        },
        "org": {
            "name": h.organization.name,
            "section": h.organization.section,
            "address": h.organization.address,
            "contact": format!("{}（{}）", h.organization.contact_center, h.organization.contact_hours),
        },
    }))
}

/// 小規模企業共済掛金控除証明書 (REFERENCE §7.1).
pub fn deduction_certificate(c: &DeductionCertificate) -> Result<View, RenderError> {
    if c.head.program != Program::SmallEnterprise {
        return Err(RenderError::Inconsistent(
            "the deduction certificate is for 小規模企業共済 contracts only".into(),
        ));
    }
    if let Some(m) = c.months.iter().find(|m| m.month.year() != c.year) {
        return Err(RenderError::Inconsistent(format!(
            "month {} is outside the certificate's year {}",
            m.month, c.year
        )));
    }
    check_equal(
        c.paid_total,
        sum(c.months.iter().map(|m| m.amount), "premiums")?,
        "paid_total",
    )?;
    let year_ja = japanese_era::format_year(c.year)
        .ok_or_else(|| RenderError::Inconsistent(format!("year {} has no era", c.year)))?;
    let title = format!("{year_ja}分 小規模企業共済掛金控除証明書");
    let year_to_date = match c.year_to_date {
        Some(y) => {
            let expected_total = sum([y.paid_so_far, y.expected_by_december], "year total")?;
            json!({
                "as_of": date(y.as_of)?,
                "paid_so_far": yen(y.paid_so_far),
                "expected_by_december": yen(y.expected_by_december),
                "expected_total": yen(expected_total),
            })
        }
        None => Value::Null,
    };
    let rows = c
        .months
        .iter()
        .map(|m| Ok(json!({ "month": month(m.month)?, "amount": yen(m.amount) })))
        .collect::<Result<Vec<_>, RenderError>>()?;
    Ok((
        title,
        json!({
            "year": format!("{year_ja}（{}年）", c.year),
            "monthly_premium": yen(c.monthly_premium),
            "months": rows,
            "months_count": months(c.months.len() as u32),
            "paid_total": yen(c.paid_total),
            "prepayment_applied": yen(c.prepayment_applied),
            "prepayment_discount": yen(c.prepayment_discount),
            // "****" when the year's amount cannot be fixed (REFERENCE §7.1).
            "deductible": c.deductible.map_or_else(|| "****".to_string(), yen),
            "deductible_fixed": c.deductible.is_some(),
            "year_to_date": year_to_date,
        }),
    ))
}

/// 共済契約締結証書.
pub fn contract_certificate(c: &ContractCertificate) -> Result<View, RenderError> {
    Ok((
        "共済契約締結証書".to_string(),
        json!({
            "contract_date": date(c.contract_date)?,
            "first_premium_month": month(c.first_premium_month)?,
            "monthly_premium": yen(c.monthly_premium),
            "payment_frequency": c.payment_frequency.name_ja(),
            "debit_account": c.debit_account,
            "registered_institution": c.registered_institution,
        }),
    ))
}

fn change_value(v: &ChangeValue) -> Result<String, RenderError> {
    Ok(match v {
        ChangeValue::Amount(a) => yen(*a),
        ChangeValue::Date(d) => date(*d)?,
        ChangeValue::Month(m) => month(*m)?,
        ChangeValue::Text(t) => t.clone(),
    })
}

/// 契約内容確認書.
pub fn contract_details(n: &ContractDetailsNotice) -> Result<View, RenderError> {
    let changes = n
        .changes
        .iter()
        .map(|c| {
            Ok(json!({
                "item": c.item,
                "before": change_value(&c.before)?,
                "after": change_value(&c.after)?,
            }))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    Ok((
        "契約内容確認書".to_string(),
        json!({
            "change": n.change,
            "effective_from": date(n.effective_from)?,
            "changes": changes,
            "contract_date": date(n.contract_date)?,
            "monthly_premium": yen(n.monthly_premium),
            "payment_frequency": n.payment_frequency.name_ja(),
            "months_paid": months(n.months_paid),
            "debit_account": n.debit_account,
        }),
    ))
}

/// 掛金納付状況のお知らせ; with a loan limit, 掛金納付状況及び貸付限度額等のお知らせ (REFERENCE §6.1).
pub fn payment_status(n: &PaymentStatusNotice) -> Result<View, RenderError> {
    let title = if n.loan_limit.is_some() {
        "掛金納付状況及び貸付限度額等のお知らせ"
    } else {
        "掛金納付状況のお知らせ"
    };
    Ok((
        title.to_string(),
        json!({
            "as_of": date(n.as_of)?,
            "monthly_premium": yen(n.monthly_premium),
            "months_paid": months(n.months_paid),
            "total_paid": yen(n.total_paid),
            "months_unpaid": months(n.months_unpaid),
            "months_prepaid": months(n.months_prepaid),
            "loan_limit": n.loan_limit.map(yen),
            "notes": n.notes,
        }),
    ))
}

/// 解除通知書 (小規模's word) or 解約通知書 (倒産防止's).
pub fn cancellation_notice(n: &CancellationNotice) -> Result<View, RenderError> {
    let title = match n.head.program {
        Program::SmallEnterprise => "共済契約解除通知書",
        Program::SafetyNet => "共済契約解約通知書",
    };
    let refund = match n.refund {
        Some((amount, on)) => json!({ "amount": yen(amount), "date": date(on)? }),
        None => Value::Null,
    };
    Ok((
        title.to_string(),
        json!({
            "kind": n.kind,
            "cancelled_on": date(n.cancelled_on)?,
            "reason": n.reason,
            "months_paid": months(n.months_paid),
            "total_paid": yen(n.total_paid),
            "refund": refund,
        }),
    ))
}

/// 支払決定通知書兼振込通知書.
pub fn payout_decision(n: &PayoutDecisionNotice) -> Result<View, RenderError> {
    let deducted = sum(n.deductions.iter().map(|d| d.amount), "deductions")?;
    let net = n
        .gross
        .checked_sub(deducted)
        .ok_or_else(|| RenderError::Inconsistent("net amount overflows".into()))?;
    check_equal(n.net, net, "net (gross less deductions)")?;
    check_equal(
        n.net,
        sum(n.schedule.iter().map(|p| p.amount), "schedule")?,
        "net (sum of the payout schedule)",
    )?;
    if n.schedule.first().map(|p| p.date) != Some(n.payment_date) {
        return Err(RenderError::Inconsistent(
            "the schedule must start on the payment date".into(),
        ));
    }
    let deductions = n
        .deductions
        .iter()
        .map(|d| json!({ "label": d.label, "amount": yen(d.amount) }))
        .collect::<Vec<_>>();
    let schedule = n
        .schedule
        .iter()
        .enumerate()
        .map(|(i, p)| Ok(json!({ "n": i + 1, "date": date(p.date)?, "amount": yen(p.amount) })))
        .collect::<Result<Vec<_>, RenderError>>()?;
    Ok((
        "支払決定通知書兼振込通知書".to_string(),
        json!({
            "kind": n.kind.name_ja(),
            "reason": n.reason,
            "decided_on": date(n.decided_on)?,
            "gross": yen(n.gross),
            "deductions": deductions,
            "deducted": yen(deducted),
            "net": yen(n.net),
            "payment_date": date(n.payment_date)?,
            "account": n.account,
            "schedule": schedule,
        }),
    ))
}

/// A letter's title and what it says, as (label, value) lines in the words and formats the
/// letter prints, without the addressee's name or address: what `/verify/{document_number}`
/// shows a third party holding the letter.
pub fn letter_summary(letter: &Letter) -> Result<(String, Vec<(String, String)>), RenderError> {
    let line = |label: &str, value: String| (label.to_string(), value);
    let head = letter.head();
    let mut lines = vec![
        line("制度", head.program.name_ja().to_string()),
        line("共済契約者番号", head.contract_number.digits()),
    ];
    let title = match letter {
        Letter::ContractCertificate(c) => {
            let (title, _) = contract_certificate(c)?;
            lines.push(line("契約締結日", date(c.contract_date)?));
            lines.push(line("掛金月額", yen(c.monthly_premium)));
            lines.push(line("払込方法", c.payment_frequency.name_ja().to_string()));
            title
        }
        Letter::ContractDetails(n) => {
            let (title, _) = contract_details(n)?;
            lines.push(line("お手続き", n.change.clone()));
            lines.push(line("変更日", date(n.effective_from)?));
            for c in &n.changes {
                lines.push((
                    c.item.clone(),
                    format!("{} → {}", change_value(&c.before)?, change_value(&c.after)?),
                ));
            }
            lines.push(line("掛金月額", yen(n.monthly_premium)));
            title
        }
        Letter::PaymentStatus(n) => {
            let (title, _) = payment_status(n)?;
            lines.push(line("基準日", date(n.as_of)?));
            lines.push(line("掛金月額", yen(n.monthly_premium)));
            lines.push(line("払込月数", months(n.months_paid)));
            lines.push(line("掛金総額", yen(n.total_paid)));
            if let Some(limit) = n.loan_limit {
                lines.push(line("貸付限度額", yen(limit)));
            }
            title
        }
        Letter::Cancellation(n) => {
            let (title, _) = cancellation_notice(n)?;
            lines.push(line("解約の種類", n.kind.clone()));
            lines.push(line("解約日", date(n.cancelled_on)?));
            lines.push(line("払込月数", months(n.months_paid)));
            lines.push(line("掛金総額", yen(n.total_paid)));
            if let Some((amount, on)) = n.refund {
                lines.push(line("お支払いする額", yen(amount)));
                lines.push(line("お支払日", date(on)?));
            }
            title
        }
        Letter::PayoutDecision(n) => {
            let (title, _) = payout_decision(n)?;
            lines.push(line("お支払いの種類", n.kind.name_ja().to_string()));
            lines.push(line("決定日", date(n.decided_on)?));
            lines.push(line("支払額", yen(n.gross)));
            lines.push(line("差引後のお支払額", yen(n.net)));
            lines.push(line("お支払日", date(n.payment_date)?));
            title
        }
    };
    Ok((title, lines))
}

/// A report: every row has one cell per column, or nothing is printed.
pub fn report(r: &Report) -> Result<Value, RenderError> {
    let mut sections = Vec::with_capacity(r.sections.len());
    for s in &r.sections {
        if s.columns.is_empty() {
            return Err(RenderError::Inconsistent(format!(
                "report section {}: no columns",
                s.heading
            )));
        }
        if let Some(row) = s.rows.iter().find(|row| row.len() != s.columns.len()) {
            return Err(RenderError::Inconsistent(format!(
                "report section {}: a row of {} cells under {} columns ({row:?})",
                s.heading,
                row.len(),
                s.columns.len()
            )));
        }
        sections.push(json!({
            "heading": s.heading,
            "note": s.note,
            "columns": s.columns,
            "rows": s.rows,
        }));
    }
    let issued = r.issued_on;
    Ok(json!({
        "title": r.title,
        "subtitle": r.subtitle,
        "author": r.author,
        "issued_on": date(issued)?,
        "issued": { "year": issued.year(), "month": issued.month(), "day": issued.day() },
        "sections": sections,
    }))
}

#[cfg(test)]
mod tests {
    use jiff::civil::date as d;

    use super::*;

    #[test]
    fn dates_print_era_and_western_forms() {
        assert_eq!(
            date(d(2026, 11, 28)).ok().as_deref(),
            Some("令和8年11月28日（2026年11月28日）")
        );
        let may_2019 = YearMonth::new(2019, 5).expect("month");
        assert_eq!(
            month(may_2019).ok().as_deref(),
            Some("令和元年5月（2019年5月）")
        );
        assert!(matches!(
            date(d(1900, 1, 1)),
            Err(RenderError::DateOutOfRange(_))
        ));
    }

    #[test]
    fn postcodes_print_with_their_hyphen() {
        assert_eq!(postcode("1058453"), "105-8453");
        assert_eq!(postcode("105-8453"), "105-8453");
        assert_eq!(postcode(""), "");
    }

    #[test]
    fn totals_must_match_their_parts() {
        assert!(check_equal(Yen::new(3000), Yen::new(3000), "x").is_ok());
        assert!(matches!(
            check_equal(Yen::new(3000), Yen::new(2999), "x"),
            Err(RenderError::Inconsistent(_))
        ));
        assert!(sum([Yen::new(i64::MAX), Yen::new(1)], "x").is_err());
    }
}
