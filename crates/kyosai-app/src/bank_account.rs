//! The debit account (預金口座振替依頼) fields shared by enrollment and the account change:
//! bank and branch checked against the embedded Zengin data, account type, a number of up to 7
//! digits (padded), and the holder name converted to Zengin half-width katakana, which is what
//! the bank receives and what the member is shown back.

use serde::Serialize;

use crate::form_parser::{Parser, to_ascii_digits};

/// The submitted account fields (text, as typed).
pub(crate) struct AccountFields<'a> {
    pub bank_code: &'a Option<String>,
    pub branch_code: &'a Option<String>,
    pub account_type: &'a Option<String>,
    pub account_number: &'a Option<String>,
    pub account_holder_kana: &'a Option<String>,
}

/// A checked debit account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankAccount {
    pub bank_code: String,
    pub bank_name: String,
    pub branch_code: String,
    pub branch_name: String,
    /// `ordinary` (普通) or `current` (当座).
    pub account_type: String,
    /// Seven digits.
    pub account_number: String,
    /// Zengin half-width katakana, at most 30 characters.
    pub holder_kana: String,
}

/// Whether two account holder names are the same person: both in Zengin half-width katakana
/// (the kana an applicant types is converted first), compared without spaces. A holder that is
/// not the contract holder goes to staff review: a debit file never takes someone else's account
/// on the rules alone.
pub fn same_holder(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> Option<String> {
        let z = kyosai_zengin::to_zengin_kana(s).ok()?;
        Some(z.chars().filter(|c| !c.is_whitespace()).collect())
    };
    matches!((norm(a), norm(b)), (Some(x), Some(y)) if !x.is_empty() && x == y)
}

/// Japanese name of an account type.
pub fn account_type_ja(t: &str) -> &'static str {
    match t {
        "current" => "当座",
        _ => "普通",
    }
}

/// Checks the account fields, adding field errors to `p`; the account when all are right.
pub(crate) fn parse(p: &mut Parser, f: &AccountFields<'_>) -> Option<BankAccount> {
    let bank = p
        .required("bank_code", f.bank_code, "金融機関コード")
        .and_then(|s| {
            let code = to_ascii_digits(s);
            let found = (code.len() == 4)
                .then(|| kyosai_refdata::bank(&code))
                .flatten();
            if found.is_none() {
                p.err(
                    "bank_code",
                    "unknown",
                    "金融機関コード（4桁）が見つかりません。",
                );
            }
            found
        });
    let branch = p
        .required("branch_code", f.branch_code, "支店コード")
        .and_then(|s| {
            let code = to_ascii_digits(s);
            let bank = bank?;
            let found = (code.len() == 3)
                .then(|| kyosai_refdata::branch(bank.code, &code))
                .flatten();
            if found.is_none() {
                p.err(
                    "branch_code",
                    "unknown",
                    format!(
                        "{}に支店コード（3桁）「{code}」の支店が見つかりません。",
                        bank.name
                    ),
                );
            }
            found
        });
    let account_type = p.choice("account_type", f.account_type, "預金種目", |s| {
        matches!(s, "ordinary" | "current").then(|| s.to_string())
    });
    let account_number = p
        .required("account_number", f.account_number, "口座番号")
        .and_then(|s| {
            let digits = to_ascii_digits(s);
            if (1..=7).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                Some(format!("{digits:0>7}"))
            } else {
                None
            }
        });
    if f.account_number
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
        && account_number.is_none()
    {
        p.err(
            "account_number",
            "format",
            "口座番号は7桁以内の数字で入力してください。",
        );
    }
    let holder = p
        .required(
            "account_holder_kana",
            f.account_holder_kana,
            "口座名義（カナ）",
        )
        .and_then(|s| {
            match kyosai_zengin::to_zengin_kana(s)
                .and_then(|k| kyosai_zengin::check_field_width(&k, 30).map(|()| k))
            {
                Ok(k) => Some(k),
                Err(e) => {
                    p.err("account_holder_kana", e.code(), e.to_string());
                    None
                }
            }
        });
    Some(BankAccount {
        bank_code: bank?.code.to_string(),
        bank_name: bank?.name.to_string(),
        branch_code: branch?.code.to_string(),
        branch_name: branch?.name.to_string(),
        account_type: account_type?,
        account_number: account_number?,
        holder_kana: holder?,
    })
}

#[cfg(test)]
mod tests {
    use super::same_holder;

    #[test]
    fn holders_match_across_widths_and_spaces_but_not_another_name() {
        assert!(same_holder("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"));
        assert!(same_holder("ヤマダ　タロウ", "ﾔﾏﾀﾞﾀﾛｳ"));
        assert!(!same_holder("ｽｽﾞｷ ﾊﾅｺ", "タナカタロウ"));
        assert!(!same_holder("", ""));
    }
}
