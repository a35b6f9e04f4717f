//! Table-shaped rule data: rate tables by months paid, and per-unit benefit tables.
//!
//! Both are validated when a rule file is loaded: a rate table must cover every month count from
//! 0 upward without gaps or overlaps (the last band is open-ended), and its rates must not fall
//! as months grow; a per-unit table must be strictly ordered and never worth less per month paid
//! as months grow. Those checks are what make "more months never pays less" hold for any rule file
//! an operator loads.

use serde::{Deserialize, Serialize};

use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding::Rounding;

/// One band of a rate table: months `from..=to` (to = None: and above) pay `rate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBand {
    pub from: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    pub rate: Rate,
    /// True when this band's rate is not confirmed (e.g. extrapolated beyond a truncated table).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// Rates by months paid, e.g. the 解約手当金 支給割合 table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RateTable(pub Vec<RateBand>);

impl RateTable {
    /// The band that covers `months`. Always found for a validated table.
    pub fn band(&self, months: u32) -> Option<&RateBand> {
        let idx = self.0.partition_point(|b| b.from <= months);
        let band = self.0.get(idx.checked_sub(1)?)?;
        match band.to {
            Some(to) if months > to => None,
            _ => Some(band),
        }
    }

    /// The rate for `months` (zero if the table does not cover it, which validation prevents).
    pub fn rate(&self, months: u32) -> Rate {
        self.band(months).map_or(Rate::ZERO, |b| b.rate)
    }

    pub fn has_provisional(&self) -> bool {
        self.0.iter().any(|b| b.provisional)
    }

    /// The highest rate in the table (the cap a refund or limit can reach).
    pub fn max_rate(&self) -> Rate {
        self.0.iter().map(|b| b.rate).max().unwrap_or(Rate::ZERO)
    }

    /// Coverage of every month count from 0 without gaps, an open last band, rates that never
    /// fall, and no rate above `max`.
    pub fn check(&self, name: &str, max: Rate, p: &mut Vec<String>) {
        let Some(first) = self.0.first() else {
            p.push(format!("{name}: the table is empty"));
            return;
        };
        if first.from != 0 {
            p.push(format!(
                "{name}: the first band must start at 0 months (starts at {})",
                first.from
            ));
        }
        for (i, pair) in self.0.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            match a.to {
                None => p.push(format!(
                    "{name}: band {} (from {} months) is open-ended but is not the last band",
                    i + 1,
                    a.from
                )),
                Some(to) if to < a.from => p.push(format!(
                    "{name}: band {} ends ({to}) before it starts ({})",
                    i + 1,
                    a.from
                )),
                Some(to) if b.from != to + 1 => p.push(format!(
                    "{name}: gap or overlap between band {} (to {to} months) and band {} (from {} months)",
                    i + 1,
                    i + 2,
                    b.from
                )),
                Some(_) => {}
            }
            if b.rate < a.rate {
                p.push(format!(
                    "{name}: rate falls from {} to {} at {} months",
                    a.rate, b.rate, b.from
                ));
            }
        }
        if let Some(last) = self.0.last()
            && last.to.is_some()
        {
            p.push(format!(
                "{name}: the last band must be open-ended (omit `to`) so every month count is covered"
            ));
        }
        if let Some(b) = self.0.iter().find(|b| b.rate > max) {
            p.push(format!(
                "{name}: rate {} at {} months is above the maximum {max}",
                b.rate, b.from
            ));
        }
    }
}

/// One point of a per-unit table: the amount one unit (500 yen a month) is worth after `months`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TablePoint {
    pub months: u32,
    pub yen: i64,
    /// True when this exact figure is published (then a result at exactly these months is not an
    /// estimate even if the table as a whole is provisional).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub published: bool,
}

/// A per-unit amount table by months paid (小規模企業共済法施行令 別表第一 shape).
///
/// Between two points the **multiplier of premiums paid** (amount ÷ (unit × months)) is
/// interpolated linearly in months; beyond the last point it is extrapolated with the last
/// segment's slope; the result is rounded by `rounding`. Loading the official table as a point for
/// every month makes the interpolation the identity, so the same engine serves both the
/// provisional and the official table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerUnitTable {
    pub rounding: Rounding,
    pub points: Vec<TablePoint>,
}

/// The per-unit amount for some months, and whether it is a published figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerUnitAmount {
    pub yen: Yen,
    /// The months hit a point marked `published`.
    pub published: bool,
}

impl PerUnitTable {
    /// The per-unit amount after `months` (months below the first point: premiums paid).
    pub fn amount(&self, months: u32, unit: Yen) -> PerUnitAmount {
        let pts = &self.points;
        let premiums = Yen::new(unit.get().saturating_mul(i64::from(months)));
        let idx = pts.partition_point(|p| p.months <= months);
        if idx > 0
            && let Some(p) = pts.get(idx - 1)
            && p.months == months
        {
            return PerUnitAmount {
                yen: Yen::new(p.yen),
                published: p.published,
            };
        }
        if idx == 0 || pts.len() < 2 {
            return PerUnitAmount {
                yen: premiums,
                published: false,
            };
        }
        // Segment [i, j]: the one containing `months`, or the last one when extrapolating.
        let j = idx.min(pts.len() - 1);
        let i = j - 1;
        let (mi, ai) = (i128::from(pts[i].months), i128::from(pts[i].yen));
        let (mj, aj) = (i128::from(pts[j].months), i128::from(pts[j].yen));
        let m = i128::from(months);
        // amount = m × [ai/mi × (mj − m) + aj/mj × (m − mi)] / (mj − mi)
        let num = m * (ai * mj * (mj - m) + aj * mi * (m - mi));
        let den = mi * mj * (mj - mi);
        PerUnitAmount {
            yen: self.rounding.apply_fraction(num, den),
            published: false,
        }
    }

    pub fn check(&self, name: &str, unit: Yen, p: &mut Vec<String>) {
        if self.points.len() < 2 {
            p.push(format!("{name}: at least two points are required"));
            return;
        }
        if self.rounding.unit_yen <= 0 {
            p.push(format!("{name}: rounding.unit_yen must be positive"));
        }
        for (k, pt) in self.points.iter().enumerate() {
            if pt.months == 0 {
                p.push(format!("{name}: point {} has 0 months", k + 1));
            }
            if i128::from(pt.yen) < i128::from(unit.get()) * i128::from(pt.months) {
                p.push(format!(
                    "{name}: point {} ({} months) is worth less than the premiums paid",
                    k + 1,
                    pt.months
                ));
            }
        }
        for pair in self.points.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if b.months <= a.months {
                p.push(format!(
                    "{name}: points must be in strictly increasing months ({} then {})",
                    a.months, b.months
                ));
            } else if i128::from(b.yen) * i128::from(a.months)
                < i128::from(a.yen) * i128::from(b.months)
            {
                // The multiplier must not fall, or more months could pay less.
                p.push(format!(
                    "{name}: the multiplier of premiums paid falls between {} and {} months",
                    a.months, b.months
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounding::RoundingMode;

    fn band(from: u32, to: Option<u32>, rate: &str) -> RateBand {
        RateBand {
            from,
            to,
            rate: rate.parse().unwrap(),
            provisional: false,
        }
    }

    #[test]
    fn rate_table_lookup_and_checks() {
        let t = RateTable(vec![
            band(0, Some(11), "0"),
            band(12, Some(23), "80%"),
            band(24, None, "90%"),
        ]);
        let mut p = Vec::new();
        t.check("t", Rate::ONE, &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.rate(0), Rate::ZERO);
        assert_eq!(t.rate(11), Rate::ZERO);
        assert_eq!(t.rate(12), Rate::percent(80));
        assert_eq!(t.rate(23), Rate::percent(80));
        assert_eq!(t.rate(10_000), Rate::percent(90));

        let gap = RateTable(vec![band(0, Some(11), "0"), band(13, None, "80%")]);
        let mut p = Vec::new();
        gap.check("gap", Rate::ONE, &mut p);
        assert!(p.iter().any(|m| m.contains("gap or overlap")), "{p:?}");

        let closed = RateTable(vec![band(0, Some(11), "0"), band(12, Some(20), "80%")]);
        let mut p = Vec::new();
        closed.check("closed", Rate::ONE, &mut p);
        assert!(p.iter().any(|m| m.contains("open-ended")), "{p:?}");

        let falling = RateTable(vec![band(0, Some(11), "90%"), band(12, None, "80%")]);
        let mut p = Vec::new();
        falling.check("falling", Rate::ONE, &mut p);
        assert!(p.iter().any(|m| m.contains("falls")), "{p:?}");

        let too_high = RateTable(vec![band(0, None, "130%")]);
        let mut p = Vec::new();
        too_high.check("high", "120%".parse().unwrap(), &mut p);
        assert!(p.iter().any(|m| m.contains("above the maximum")), "{p:?}");
    }

    #[test]
    fn per_unit_interpolation_hits_points_exactly() {
        let t = PerUnitTable {
            rounding: Rounding {
                mode: RoundingMode::Floor,
                unit_yen: 10,
            },
            points: vec![
                TablePoint {
                    months: 36,
                    yen: 18_000,
                    published: false,
                },
                TablePoint {
                    months: 60,
                    yen: 31_070,
                    published: true,
                },
                TablePoint {
                    months: 120,
                    yen: 64_530,
                    published: true,
                },
            ],
        };
        let unit = Yen::new(500);
        assert_eq!(t.amount(60, unit).yen, Yen::new(31_070));
        assert!(t.amount(60, unit).published);
        assert_eq!(t.amount(36, unit).yen, Yen::new(18_000));
        assert_eq!(t.amount(35, unit).yen, Yen::new(17_500));
        let mid = t.amount(90, unit).yen.get();
        assert!(31_070 < mid && mid < 64_530 && mid % 10 == 0);
        let beyond = t.amount(180, unit).yen.get();
        assert!(
            beyond > 64_530 * 3 / 2,
            "extrapolated multiplier keeps rising"
        );
        let mut p = Vec::new();
        t.check("t", unit, &mut p);
        assert!(p.is_empty(), "{p:?}");
    }
}
