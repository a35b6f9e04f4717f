//! How dates and months read in Japanese text (mails, explanations, messages): one format
//! everywhere, so a member sees the same date written the same way.

use jiff::civil::Date;
use kyosai_domain::YearMonth;

/// `2026年11月`.
pub fn ja_month(m: YearMonth) -> String {
    format!("{}年{}月", m.year(), m.month())
}

/// `2026年11月18日`.
pub fn ja_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// An amount as people say it: `8,000万円` for whole 万, else `12,345円`.
pub fn ja_yen_man(y: kyosai_domain::Yen) -> String {
    let n = y.get();
    if n != 0 && n % 10_000 == 0 {
        format!("{}万円", kyosai_domain::money::group_thousands(n / 10_000))
    } else {
        y.to_string()
    }
}

#[cfg(test)]
mod tests {
    use kyosai_domain::Yen;

    use super::ja_yen_man;

    #[test]
    fn amounts_in_man_when_whole() {
        assert_eq!(ja_yen_man(Yen::new(80_000_000)), "8,000万円");
        assert_eq!(ja_yen_man(Yen::new(50_000)), "5万円");
        assert_eq!(ja_yen_man(Yen::new(12_345)), "12,345円");
        assert_eq!(ja_yen_man(Yen::new(0)), "0円");
    }
}
