//! A synthetic book of contracts for development and benchmarks (`kyosai dev generate`).
//!
//! Proportions follow REFERENCE §9.1 (小規模 about 1.66M members, 倒産防止 about 0.4–0.5M):
//! 77% small_enterprise, 23% safety_net. Premiums follow a skewed distribution within each
//! program's rule bounds and steps; some contracts have premium changes, 前納 months,
//! suspensions (倒産防止) and an opening balance of premiums paid before Kyosai (a few close to
//! the accumulation cap); mandates use several real banks from `kyosai_refdata`. Rows are
//! inserted with multi-row INSERTs in large transactions. All synthetic contracts belong to one
//! synthetic member account (`synthetic@kyosai.invalid`).

use kyosai_domain::{ContractId, ContractNumber, Program, YearMonth};
use kyosai_store::ledger::{self, Opening};
use kyosai_store::synthetic::{self as store, NewContract, NewMandate};

use super::bank_simulator::SplitMix;
use crate::{App, AppError};

/// Banks used for synthetic mandates (code, weight): megabanks, ゆうちょ, regional banks.
const BANKS: &[(&str, u64)] = &[
    ("9900", 20),
    ("0005", 15),
    ("0001", 12),
    ("0009", 12),
    ("0010", 6),
    ("0116", 5),
    ("0138", 5),
    ("0149", 5),
    ("0033", 4),
    ("0036", 4),
];

const KANA: &[&str] = &[
    "ﾔﾏﾀﾞ ﾀﾛｳ",
    "ｻﾄｳ ﾊﾅｺ",
    "ｽｽﾞｷ ｲﾁﾛｳ",
    "ﾀｶﾊｼ ｼﾞﾛｳ",
    "ﾀﾅｶ ﾕｳｺ",
    "ｲﾄｳ ｹﾝ",
    "ﾜﾀﾅﾍﾞ ｻﾁｺ",
    "ｶ)ﾔﾏﾀﾞｺｳﾑﾃﾝ",
];

/// What was generated.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Generated {
    pub contracts: i64,
    pub small_enterprise: i64,
    pub safety_net: i64,
    pub premium_changes: i64,
    pub prepaid: i64,
    pub suspended: i64,
    pub opening_balances: i64,
}

fn pick_weighted<'a>(rng: &mut SplitMix, items: &'a [(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.next_u64() % total.max(1);
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    items.first().map_or("0001", |(v, _)| v)
}

impl App {
    /// Generates `n` active contracts (with mandates) billable from `as_of`, deterministically
    /// from `seed`. `progress` gets the number of contracts written so far.
    pub async fn generate_book(
        &self,
        n: u64,
        seed: u64,
        as_of: YearMonth,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Generated, AppError> {
        let now = self.clock.now_text();
        let se_rules = self.billing_rules(Program::SmallEnterprise, as_of)?.clone();
        let sn_rules = self.billing_rules(Program::SafetyNet, as_of)?.clone();
        let cap = sn_rules
            .premium
            .accumulation_cap_yen
            .as_ref()
            .map_or(0, |c| c.value.get());
        // One synthetic member and application own the book.
        let (member_id, application_id, first_serial) = {
            let mut tx = self.store.begin_write().await?;
            let email = format!(
                "synthetic-{seed}-{}@kyosai.invalid",
                now.replace([':', '-'], "")
            );
            let (member_id, application_id) =
                store::insert_owner(tx.conn(), &email, &se_rules.id, &now).await?;
            let last = store::reserve_contract_serials(tx.conn(), n as i64).await?;
            tx.commit().await?;
            (member_id, application_id, last - n as i64 + 1)
        };
        let mut rng = SplitMix::new(seed);
        let mut g = Generated::default();
        const BATCH: u64 = 20_000;
        const ROWS: usize = 500;
        let mut done = 0u64;
        while done < n {
            let take = BATCH.min(n - done);
            let mut tx = self.store.begin_write().await?;
            // Contracts.
            struct C {
                number: String,
                program: Program,
                premium: i64,
                frequency: &'static str,
                first: YearMonth,
                prepaid: Option<String>,
                suspended: Option<String>,
                opening: i64,
                change: Option<(String, i64)>,
                bank: &'static str,
                account: String,
                kana: &'static str,
            }
            let mut cs = Vec::with_capacity(take as usize);
            for i in 0..take {
                let serial = first_serial + (done + i) as i64;
                let number = u32::try_from(serial)
                    .ok()
                    .and_then(ContractNumber::from_serial)
                    .ok_or_else(|| AppError::Internal("contract serials exhausted".into()))?
                    .digits();
                let program = if rng.next_u64() % 1000 < 770 {
                    Program::SmallEnterprise
                } else {
                    Program::SafetyNet
                };
                let rules = if program == Program::SmallEnterprise {
                    &se_rules
                } else {
                    &sn_rules
                };
                let (min, max, step) = (
                    rules.premium.min_monthly_yen.value.get(),
                    rules.premium.max_monthly_yen.value.get(),
                    rules.premium.step_yen.value.get(),
                );
                // Skewed towards small premiums, with a cluster at the maximum.
                let u = rng.next_f64();
                let premium = if u < 0.15 {
                    max
                } else {
                    let steps = (max - min) / step;
                    min + step * ((u * u * steps as f64) as i64).min(steps)
                };
                let years = (rng.next_u64() % 30) as i32;
                let first = as_of.plus(-(years * 12) - (rng.next_u64() % 12) as i32);
                let frequency = if program == Program::SmallEnterprise {
                    match rng.next_u64() % 100 {
                        0..=84 => "monthly",
                        85..=92 => "semi_annual",
                        _ => "annual",
                    }
                } else {
                    "monthly"
                };
                let months_paid = first.months_until(as_of).max(0) as i64;
                let mut opening = premium * months_paid;
                if program == Program::SafetyNet {
                    opening = opening.min(cap);
                }
                let r = rng.next_u64() % 1000;
                let prepaid = (r < 30).then(|| as_of.plus((r % 12) as i32).to_string());
                let suspended = (program == Program::SafetyNet && (30..45).contains(&r))
                    .then(|| as_of.plus(-((r % 6) as i32)).to_string());
                let change = (rng.next_u64() % 100 < 6).then(|| {
                    let p = (premium - step).max(min);
                    (as_of.plus(-((rng.next_u64() % 24) as i32)).to_string(), p)
                });
                cs.push(C {
                    number,
                    program,
                    premium,
                    frequency,
                    first,
                    prepaid,
                    suspended,
                    opening,
                    change,
                    bank: pick_weighted(&mut rng, BANKS),
                    account: format!("{:07}", rng.next_u64() % 10_000_000),
                    kana: KANA[(rng.next_u64() % KANA.len() as u64) as usize],
                });
            }
            let mut ids = Vec::with_capacity(cs.len());
            for batch in cs.chunks(ROWS) {
                let rows: Vec<NewContract> = batch
                    .iter()
                    .map(|c| NewContract {
                        number: &c.number,
                        program: c.program.as_str(),
                        member_id,
                        application_id,
                        start_date: c.first.day(1).to_string(),
                        first_debit_month: c.first.to_string(),
                        monthly_premium: c.premium,
                        frequency: c.frequency,
                        rule_set: if c.program == Program::SmallEnterprise {
                            &se_rules.id
                        } else {
                            &sn_rules.id
                        },
                        prepaid_until: c.prepaid.as_deref(),
                        suspended_from: c.suspended.as_deref(),
                    })
                    .collect();
                ids.extend(store::insert_contracts(tx.conn(), &rows, &now).await?);
            }
            // Mandates, premium changes and opening balances.
            for (batch_ids, batch) in ids.chunks(ROWS).zip(cs.chunks(ROWS)) {
                let mandates: Vec<NewMandate> = batch_ids
                    .iter()
                    .zip(batch)
                    .map(|(id, c)| NewMandate {
                        contract_id: *id,
                        bank_code: c.bank,
                        branch_code: kyosai_refdata::branches(c.bank)
                            .first()
                            .map_or("001", |b| b.code),
                        account_number: &c.account,
                        holder_kana: c.kana,
                    })
                    .collect();
                store::insert_mandates(tx.conn(), &mandates, &now).await?;
                let openings: Vec<Opening> = batch_ids
                    .iter()
                    .zip(batch)
                    .filter(|(_, c)| c.opening > 0)
                    .map(|(id, c)| Opening {
                        contract_id: *id,
                        month: as_of.plus(-1).to_string(),
                        amount: c.opening,
                        months: c.first.months_until(as_of).max(0) as i64,
                    })
                    .collect();
                if !openings.is_empty() {
                    ledger::append_openings(tx.conn(), &openings, &now).await?;
                    g.opening_balances += openings.len() as i64;
                }
                let changes: Vec<(ContractId, &str, i64)> = batch_ids
                    .iter()
                    .zip(batch)
                    .filter_map(|(id, c)| c.change.as_ref().map(|(m, p)| (*id, m.as_str(), *p)))
                    .collect();
                if !changes.is_empty() {
                    store::insert_premium_changes(tx.conn(), &changes, &now).await?;
                    g.premium_changes += changes.len() as i64;
                }
            }
            for c in &cs {
                match c.program {
                    Program::SmallEnterprise => g.small_enterprise += 1,
                    Program::SafetyNet => g.safety_net += 1,
                }
                g.prepaid += i64::from(c.prepaid.is_some());
                g.suspended += i64::from(c.suspended.is_some());
            }
            tx.commit().await?;
            done += take;
            g.contracts = done as i64;
            progress(done);
        }
        let mut tx = self.store.begin_write().await?;
        store::refresh_statistics(tx.conn()).await?;
        tx.commit().await?;
        Ok(g)
    }
}
