//! Zengin bank and branch codes (金融機関コード・店舗コード).

use std::sync::LazyLock;

use crate::search::{self, fold};
use crate::table::{self, DatasetInfo, is_digits};

static BANKS_GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../refdata/banks.tsv.gz"
));
static BRANCHES_GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../refdata/branches.tsv.gz"
));

/// A financial institution in the Zengin system.
///
/// `name` is the short name used by Zengin, without the type word: `みずほ`
/// for みずほ銀行, `北海道信金` for 北海道信用金庫, `ゆうちょ` for ゆうちょ銀行.
/// Alphanumerics are full-width as published (`三菱ＵＦＪ`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bank {
    /// 金融機関コード, 4 ASCII digits.
    pub code: &'static str,
    /// 金融機関名 (short form, see above).
    pub name: &'static str,
    /// Zengin kana reading in full-width katakana as published: no small
    /// letters (`ユウチヨ`), `－` for long vowels.
    pub kana: &'static str,
}

/// A branch (店舗) of a [`Bank`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Branch {
    /// 金融機関コード of the bank, 4 ASCII digits.
    pub bank_code: &'static str,
    /// 店舗コード, 3 ASCII digits.
    pub code: &'static str,
    /// 店舗名, usually without `支店` (`新宿` for 新宿支店). ゆうちょ銀行's
    /// branches are named by their number in kanji (`〇一八`).
    pub name: &'static str,
    /// Zengin kana reading, full-width katakana as published.
    pub kana: &'static str,
}

struct Index<T> {
    rows: Vec<T>,
    /// Folded (name, kana) per row for banks; empty for branches, which are
    /// folded per search (a bank has at most a few hundred branches).
    keys: Vec<(String, String)>,
    info: DatasetInfo,
}

static BANKS: LazyLock<Index<Bank>> = LazyLock::new(|| {
    let (mut rows, _, mut info) = table::load::<3, _>("banks", BANKS_GZ, |[code, name, kana]| {
        is_digits(code, 4).then_some(Bank { code, name, kana })
    });
    rows.sort_by_key(|b| b.code);
    rows.dedup_by_key(|b| b.code);
    if rows.len() != info.parsed_rows {
        info.error = Some("banks: duplicate codes".to_owned());
    }
    let keys = rows.iter().map(|b| (fold(b.name), fold(b.kana))).collect();
    Index { rows, keys, info }
});

static BRANCHES: LazyLock<Index<Branch>> = LazyLock::new(|| {
    let (mut rows, _, mut info) =
        table::load::<4, _>("branches", BRANCHES_GZ, |[bank_code, code, name, kana]| {
            (is_digits(bank_code, 4) && is_digits(code, 3)).then_some(Branch {
                bank_code,
                code,
                name,
                kana,
            })
        });
    rows.sort_by_key(|b| (b.bank_code, b.code));
    rows.dedup_by_key(|b| (b.bank_code, b.code));
    if rows.len() != info.parsed_rows {
        info.error = Some("branches: duplicate codes".to_owned());
    }
    Index {
        rows,
        keys: Vec::new(),
        info,
    }
});

/// The bank with 金融機関コード `code` (4 digits, e.g. `"0001"`).
pub fn bank(code: &str) -> Option<&'static Bank> {
    let rows = &BANKS.rows;
    rows.binary_search_by(|b| b.code.cmp(code))
        .ok()
        .and_then(|i| rows.get(i))
}

/// All banks, sorted by code.
pub fn banks() -> &'static [Bank] {
    &BANKS.rows
}

/// Banks matching `query`, best first, at most `limit`.
///
/// Matches an exact code, a code prefix (`"00"`), or a name or kana prefix or
/// substring. Kana matching ignores hiragana/katakana, full/half width and
/// small letters (`ゆうちょ` finds ゆうちょ); `銀行` at the end and long forms
/// such as `信用金庫` are reduced to the Zengin short names. Ties are in code
/// order. An empty query returns the first `limit` banks by code.
pub fn search_banks(query: &str, limit: usize) -> Vec<&'static Bank> {
    let raw = query.trim();
    let folded = search::bank_query(&fold(raw));
    let index = &*BANKS;
    let mut hits: Vec<(u8, &'static Bank)> = index
        .rows
        .iter()
        .zip(&index.keys)
        .filter_map(|(b, (name, kana))| Some((search::rank(b.code, name, kana, raw, &folded)?, b)))
        .collect();
    best(&mut hits, limit)
}

fn branch_slice(bank_code: &str) -> &'static [Branch] {
    let rows = &BRANCHES.rows;
    let lo = rows.partition_point(|b| b.bank_code < bank_code);
    let hi = rows.partition_point(|b| b.bank_code <= bank_code).max(lo);
    rows.get(lo..hi).unwrap_or(&[])
}

/// The branch `branch_code` (3 digits) of bank `bank_code` (4 digits).
pub fn branch(bank_code: &str, branch_code: &str) -> Option<&'static Branch> {
    let rows = branch_slice(bank_code);
    rows.binary_search_by(|b| b.code.cmp(branch_code))
        .ok()
        .and_then(|i| rows.get(i))
}

/// All branches of bank `bank_code`, sorted by branch code.
pub fn branches(bank_code: &str) -> &'static [Branch] {
    branch_slice(bank_code)
}

/// Branches of bank `bank_code` matching `query`, best first, at most
/// `limit`. Same rules as [`search_banks`]; a trailing `支店` is ignored.
/// An empty query returns the bank's first `limit` branches by code.
pub fn search_branches(bank_code: &str, query: &str, limit: usize) -> Vec<&'static Branch> {
    let raw = query.trim();
    let folded = search::branch_query(&fold(raw));
    let mut hits: Vec<(u8, &'static Branch)> = branch_slice(bank_code)
        .iter()
        .filter_map(|b| {
            let rank = search::rank(b.code, &fold(b.name), &fold(b.kana), raw, &folded)?;
            Some((rank, b))
        })
        .collect();
    best(&mut hits, limit)
}

/// The `limit` best hits. Rows come in code order, so the stable sort on
/// rank keeps ties in code order.
fn best<T>(hits: &mut Vec<(u8, &'static T)>, limit: usize) -> Vec<&'static T> {
    hits.sort_by_key(|(rank, _)| *rank);
    hits.iter().take(limit).map(|(_, r)| *r).collect()
}

pub(crate) fn bank_info() -> DatasetInfo {
    BANKS.info.clone()
}

pub(crate) fn branch_info() -> DatasetInfo {
    BRANCHES.info.clone()
}
