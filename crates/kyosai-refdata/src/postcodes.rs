//! Japan Post postcodes (郵便番号): area codes and individual business codes.

use std::sync::LazyLock;

use crate::table::{self, DatasetInfo, is_digits};

static GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../refdata/postcodes.tsv.gz"
));

/// What a postcode row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostcodeKind {
    /// An area (町域) from KEN_ALL.
    Area,
    /// A business or office with its own postcode (大口事業所個別番号).
    Office,
    /// A post-office box (私書箱).
    PoBox,
}

/// One address for a postcode. A postcode can have several (one per town,
/// or per building floor), so [`postcode`] returns a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostalAddress {
    /// 7 ASCII digits, no hyphen.
    pub postcode: &'static str,
    pub kind: PostcodeKind,
    /// 都道府県, e.g. `東京都`.
    pub prefecture: &'static str,
    /// 市区町村, e.g. `千代田区`, `札幌市中央区`.
    pub city: &'static str,
    /// 町域, e.g. `千代田`. Empty for a city's catch-all code (the note is
    /// then `以下に掲載がない場合`).
    pub town: &'static str,
    /// 番地 and building, only for [`PostcodeKind::Office`] / `PoBox` rows
    /// (e.g. `3丁目5-1虎ノ門37森ビル`); empty otherwise.
    pub street: &'static str,
    /// Business name for office and PO-box codes.
    pub office: Option<&'static str>,
    /// Japan Post's remark split off the town name, e.g. a floor (`1階`),
    /// `地階・階層不明`, `以下に掲載がない場合`, or Kyoto street directions.
    pub note: Option<&'static str>,
    /// Readings in full-width katakana (may be empty when Japan Post has none).
    pub prefecture_kana: &'static str,
    pub city_kana: &'static str,
    pub town_kana: &'static str,
    /// Reading of the business name, for office and PO-box codes.
    pub office_kana: Option<&'static str>,
}

impl PostalAddress {
    /// The address as written on an envelope, without the postcode:
    /// prefecture, city, town and (for offices) street, concatenated.
    pub fn address(&self) -> String {
        [self.prefecture, self.city, self.town, self.street].concat()
    }
}

struct Postcodes {
    rows: Vec<PostalAddress>,
    info: DatasetInfo,
}

fn opt(s: &'static str) -> Option<&'static str> {
    (!s.is_empty()).then_some(s)
}

static POSTCODES: LazyLock<Postcodes> = LazyLock::new(|| {
    let (mut rows, _, mut info) = table::load::<12, _>("postcodes", GZ, |r| {
        let [code, kind, pref, city, town, street, office, note, pk, ck, tk, ok] = *r;
        let kind = match kind {
            "A" => PostcodeKind::Area,
            "O" => PostcodeKind::Office,
            "B" => PostcodeKind::PoBox,
            _ => return None,
        };
        is_digits(code, 7).then_some(PostalAddress {
            postcode: code,
            kind,
            prefecture: pref,
            city,
            town,
            street,
            office: opt(office),
            note: opt(note),
            prefecture_kana: pk,
            city_kana: ck,
            town_kana: tk,
            office_kana: opt(ok),
        })
    });
    if !rows.is_sorted_by_key(|a| a.postcode) {
        info.error = Some("postcodes: rows are not sorted".to_owned());
        rows.sort_by_key(|a| a.postcode);
    }
    rows.shrink_to_fit();
    Postcodes { rows, info }
});

/// Normalise user input to 7 ASCII digits: accepts `1058453`, `105-8453`,
/// `〒105-8453`, full-width digits and surrounding spaces.
pub fn normalize_postcode(input: &str) -> Option<String> {
    let mut digits = String::with_capacity(7);
    let mut hyphen_at = None;
    for c in input.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => digits.push(char::from_u32(c as u32 - '０' as u32 + '0' as u32)?),
            '-' | '－' | 'ー' | '‐' | '−' => {
                if hyphen_at.is_some() {
                    return None;
                }
                hyphen_at = Some(digits.len());
            }
            '〒' if digits.is_empty() && hyphen_at.is_none() => {}
            ' ' | '\u{3000}' if digits.is_empty() => {}
            _ => return None,
        }
    }
    let hyphen_ok = hyphen_at.is_none_or(|at| at == 3);
    (digits.len() == 7 && hyphen_ok).then_some(digits)
}

/// All addresses for a postcode, in file order (sorted); empty if the code
/// is invalid or unknown. Accepts the forms listed in [`normalize_postcode`].
pub fn postcode(code: &str) -> Vec<&'static PostalAddress> {
    let Some(code) = normalize_postcode(code) else {
        return Vec::new();
    };
    let rows = &POSTCODES.rows;
    let lo = rows.partition_point(|a| a.postcode < code.as_str());
    let hi = rows.partition_point(|a| a.postcode <= code.as_str()).max(lo);
    rows.get(lo..hi).unwrap_or(&[]).iter().collect()
}

pub(crate) fn info() -> DatasetInfo {
    POSTCODES.info.clone()
}
