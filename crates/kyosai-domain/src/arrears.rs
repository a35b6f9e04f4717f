//! Arrears of 12 months or more (REFERENCE §2.7): the 納付書 (payment slip) and the payment file
//! that reports its payment.
//!
//! From the rule set's threshold the arrears are no longer debited ([`crate::billing`]); the
//! member gets a 納付書 for them, with its own reference, payable at a bank or convenience store
//! by a deadline (rule data), together with a 『契約解除予告』. Only a contract whose slip is
//! still unpaid after the deadline becomes a 機構解約/解除 candidate. The collecting agent
//! reports payments in a payment file; each paid slip posts its months as collected.
//!
//! # Payment file (CSV)
//!
//! UTF-8 text, lines ending in LF or CRLF. The first line is the header `reference,amount,paid_on`;
//! each further line is one payment: the slip's reference, the amount paid in yen (ASCII digits,
//! no separators) and the day it was paid (`YYYY-MM-DD`). Blank lines are ignored. A file is
//! taken whole or not at all: any problem refuses it, with every problem and its line.

use jiff::civil::Date;
use serde::Serialize;

use crate::billing::{BillItem, ItemKind, UnpaidMonth};
use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::rules::RuleSet;

/// The header line of a payment file.
pub const PAYMENT_FILE_HEADER: &str = "reference,amount,paid_on";

/// Days from a 納付書 to its deadline, from the rule set (None: the program has no rule).
pub fn payment_slip_days(rules: &RuleSet) -> Option<u32> {
    match (&rules.small_enterprise, &rules.safety_net) {
        (Some(se), _) => Some(se.arrears.payment_slip_days.value),
        (None, Some(sn)) => Some(sn.payment_slip_days.value),
        (None, None) => None,
    }
}

/// A slip to issue: the unpaid months it asks for, their total and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSlip {
    pub items: Vec<BillItem>,
    pub amount: Yen,
    pub deadline: Date,
}

/// The 納付書 for `unpaid` issued on `issued_on` under `rules`: every unpaid month (oldest
/// first) and a deadline `payment_slip_days` later. None when nothing is unpaid or the rule
/// set has no slip rule.
pub fn slip_for(rules: &RuleSet, unpaid: &[UnpaidMonth], issued_on: Date) -> Option<NewSlip> {
    let days = payment_slip_days(rules)?;
    if unpaid.is_empty() {
        return None;
    }
    let mut items: Vec<BillItem> = unpaid
        .iter()
        .map(|u| BillItem {
            month: u.month,
            amount: u.amount,
            arrears: true,
            kind: ItemKind::Premium,
        })
        .collect();
    items.sort_by_key(|i| i.month);
    let amount = Yen::new(items.iter().map(|i| i.amount.get()).sum());
    let deadline = issued_on
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .ok()?;
    Some(NewSlip {
        items,
        amount,
        deadline,
    })
}

/// The slip's own reference: the contract number and the slip's sequence for the contract
/// (`12345678-01`), printed on the slip and quoted back in the payment file.
pub fn slip_reference(contract_number: &str, seq: u32) -> String {
    format!("{contract_number}-{seq:02}")
}

/// One payment of a payment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipPayment {
    /// 1-based line number in the file.
    pub line: usize,
    pub reference: String,
    pub amount: Yen,
    pub paid_on: Date,
}

impl SlipPayment {
    pub fn paid_month(&self) -> YearMonth {
        YearMonth::of(self.paid_on)
    }
}

/// A problem with a payment file: the line (0: the whole file), a stable code and a Japanese
/// message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub line: usize,
    pub code: &'static str,
    pub message: String,
}

/// Parses a payment file (format in the module docs), reporting every problem at once.
pub fn parse_payment_file(bytes: &[u8]) -> Result<Vec<SlipPayment>, Vec<FileProblem>> {
    let whole = |code, message: &str| {
        vec![FileProblem {
            line: 0,
            code,
            message: message.into(),
        }]
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(whole(
            "encoding",
            "文字コードがUTF-8ではありません。UTF-8のCSVファイルを指定してください。",
        ));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    if lines.next().map(str::trim) != Some(PAYMENT_FILE_HEADER) {
        return Err(vec![FileProblem {
            line: 1,
            code: "header",
            message: format!("1行目は見出し「{PAYMENT_FILE_HEADER}」にしてください。"),
        }]);
    }
    let mut out: Vec<SlipPayment> = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in lines.enumerate() {
        let line = i + 2;
        if raw.trim().is_empty() {
            continue;
        }
        let mut bad = |code, message: String| {
            problems.push(FileProblem {
                line,
                code,
                message,
            })
        };
        let cols: Vec<&str> = raw.split(',').map(str::trim).collect();
        let [reference, amount, paid_on] = cols[..] else {
            bad(
                "columns",
                format!(
                    "項目の数が{}です（参照番号・金額・納付日の3項目）。",
                    cols.len()
                ),
            );
            continue;
        };
        let reference_ok = !reference.is_empty()
            && reference.len() <= 32
            && reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !reference_ok {
            bad(
                "reference",
                "参照番号は半角英数字とハイフン（32文字以内）で指定してください。".into(),
            );
        }
        let amount = match amount.parse::<i64>() {
            Ok(a) if a > 0 && amount.chars().all(|c| c.is_ascii_digit()) => Some(Yen::new(a)),
            _ => {
                bad(
                    "amount",
                    "金額は1円以上の半角数字（区切りなし）で指定してください。".into(),
                );
                None
            }
        };
        let paid_on = match paid_on.parse::<Date>() {
            Ok(d) if paid_on.len() == 10 => Some(d),
            _ => {
                bad(
                    "paid_on",
                    "納付日はYYYY-MM-DDの形式で指定してください。".into(),
                );
                None
            }
        };
        if reference_ok && let Some(first) = out.iter().find(|p| p.reference == reference) {
            bad(
                "duplicate",
                format!(
                    "参照番号 {reference} は{}行目と重複しています。",
                    first.line
                ),
            );
            continue;
        }
        if let (true, Some(amount), Some(paid_on)) = (reference_ok, amount, paid_on) {
            out.push(SlipPayment {
                line,
                reference: reference.to_string(),
                amount,
                paid_on,
            });
        }
    }
    if problems.is_empty() && out.is_empty() {
        return Err(whole("empty", "納付の記録が1件もありません。"));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn codes(r: Result<Vec<SlipPayment>, Vec<FileProblem>>) -> Vec<(usize, &'static str)> {
        r.unwrap_err().iter().map(|p| (p.line, p.code)).collect()
    }

    #[test]
    fn a_good_file_parses() {
        let f = "\u{feff}reference,amount,paid_on\r\n10000018-01,360000,2029-02-03\r\n\r\n";
        let p = parse_payment_file(f.as_bytes()).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 2);
        assert_eq!(p[0].reference, "10000018-01");
        assert_eq!(p[0].amount, Yen::new(360_000));
        assert_eq!(p[0].paid_on, date(2029, 2, 3));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let f = "reference,amount,paid_on\n\
                 A-01,１０００,2029-02-03\n\
                 A-02,1000\n\
                 A-03,1,000,2029-02-03\n\
                 A-04,1000,2029/02/03\n\
                 ../x,1000,2029-02-03\n\
                 A-06,-5,2029-02-03\n\
                 A-07,1000,2029-02-03\n\
                 A-07,1000,2029-02-04\n";
        assert_eq!(
            codes(parse_payment_file(f.as_bytes())),
            vec![
                (2, "amount"),
                (3, "columns"),
                (4, "columns"),
                (5, "paid_on"),
                (6, "reference"),
                (7, "amount"),
                (9, "duplicate"),
            ]
        );
        assert_eq!(
            codes(parse_payment_file(b"ref,amount\nA,1,2029-01-01\n")),
            vec![(1, "header")]
        );
        assert_eq!(
            codes(parse_payment_file(b"reference,amount,paid_on\n")),
            vec![(0, "empty")]
        );
        assert_eq!(
            codes(parse_payment_file(&[0xff, 0xfe])),
            vec![(0, "encoding")]
        );
    }

    #[test]
    fn a_slip_asks_for_every_unpaid_month_by_the_deadline() {
        let book = RuleBook::embedded().unwrap();
        let rules = book
            .in_force(Program::SmallEnterprise, date(2029, 1, 1))
            .unwrap();
        let unpaid: Vec<UnpaidMonth> = (0..12)
            .rev()
            .map(|k| UnpaidMonth {
                month: YearMonth::new(2028, 1).unwrap().plus(k),
                amount: Yen::new(30_000),
                last_failed_debit: YearMonth::new(2028, 12).unwrap(),
            })
            .collect();
        let slip = slip_for(rules, &unpaid, date(2029, 1, 10)).unwrap();
        assert_eq!(slip.amount, Yen::new(360_000));
        assert_eq!(slip.items.len(), 12);
        assert_eq!(slip.items[0].month, YearMonth::new(2028, 1).unwrap());
        let days = rules
            .small_enterprise
            .as_ref()
            .unwrap()
            .arrears
            .payment_slip_days
            .value;
        assert_eq!(
            slip.deadline,
            date(2029, 1, 10)
                .checked_add(jiff::Span::new().days(i64::from(days)))
                .unwrap()
        );
        assert!(slip_for(rules, &[], date(2029, 1, 10)).is_none());
        assert_eq!(slip_reference("10000018", 1), "10000018-01");
    }
}
