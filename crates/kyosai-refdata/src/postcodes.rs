//! Japan Post postcodes (郵便番号): area codes and individual business codes.

use std::sync::{LazyLock, OnceLock};

use crate::table::{DatasetInfo, Table, is_digits, split};

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

/// One address for a postcode. A postcode can have several (one per town or
/// 地割 range), so [`postcode`] returns a list.
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

/// Index over the decompressed text. Only the postcode and the offset of its
/// first line are kept per distinct postcode; a postcode's rows are parsed
/// into [`PostalAddress`] values on its first look-up and cached. This keeps
/// memory near the size of the text (about 18 MB) instead of adding ~200
/// bytes per row for all 147,000 rows up front.
struct Postcodes {
    body: &'static str,
    /// Distinct postcodes as integers, strictly increasing.
    codes: Vec<u32>,
    /// Byte offset in `body` of each postcode's first line, plus the end.
    starts: Vec<u32>,
    groups: Vec<OnceLock<Box<[PostalAddress]>>>,
    info: DatasetInfo,
}

fn opt(s: &'static str) -> Option<&'static str> {
    (!s.is_empty()).then_some(s)
}

fn parse(line: &'static str) -> Option<PostalAddress> {
    let [
        code,
        kind,
        pref,
        city,
        town,
        street,
        office,
        note,
        pk,
        ck,
        tk,
        ok,
    ] = split::<12>(line)?;
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
}

fn build() -> Result<Postcodes, (DatasetInfo, String)> {
    let mut info = DatasetInfo {
        name: "postcodes",
        source: "",
        compressed_bytes: GZ.len(),
        expected_rows: 0,
        parsed_rows: 0,
        error: None,
    };
    let table = match Table::decode(GZ) {
        Ok(t) => t,
        Err(e) => return Err((info, e)),
    };
    info.source = table.get("source").unwrap_or("");
    info.expected_rows = table.expected_rows;
    if table.columns != 12 {
        return Err((info, format!("{} columns, expected 12", table.columns)));
    }
    let body = table.body();
    if u32::try_from(body.len()).is_err() {
        return Err((info, "file too large".to_owned()));
    }
    let mut codes: Vec<u32> = Vec::with_capacity(130_000);
    let mut starts: Vec<u32> = Vec::with_capacity(130_000);
    for (at, line) in table.lines_with_offsets() {
        // Validate every row now so that `parsed_rows` is exact.
        let Some(row) = parse(line) else { continue };
        info.parsed_rows += 1;
        let code: u32 = row.postcode.parse().unwrap_or(u32::MAX);
        match codes.last() {
            Some(&last) if last == code => {}
            Some(&last) if last > code => {
                return Err((info, "rows are not sorted by postcode".to_owned()));
            }
            _ => {
                codes.push(code);
                starts.push(at as u32);
            }
        }
    }
    starts.push(body.len() as u32);
    let groups = codes.iter().map(|_| OnceLock::new()).collect();
    Ok(Postcodes {
        body,
        codes,
        starts,
        groups,
        info,
    })
}

static POSTCODES: LazyLock<Postcodes> = LazyLock::new(|| {
    build().unwrap_or_else(|(mut info, e)| {
        info.error = Some(format!("postcodes: {e}"));
        Postcodes {
            body: "",
            codes: Vec::new(),
            starts: Vec::new(),
            groups: Vec::new(),
            info,
        }
    })
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
///
/// O(log n) binary search; the first look-up of a given postcode also parses
/// its few rows (about a microsecond).
pub fn postcode(code: &str) -> Vec<&'static PostalAddress> {
    let Some(code) = normalize_postcode(code).and_then(|c| c.parse::<u32>().ok()) else {
        return Vec::new();
    };
    let p: &'static Postcodes = &POSTCODES;
    let Ok(i) = p.codes.binary_search(&code) else {
        return Vec::new();
    };
    let (Some(&lo), Some(&hi), Some(group)) =
        (p.starts.get(i), p.starts.get(i + 1), p.groups.get(i))
    else {
        return Vec::new();
    };
    let rows = group.get_or_init(|| {
        p.body
            .get(lo as usize..hi as usize)
            .unwrap_or("")
            .lines()
            .filter_map(parse)
            .collect()
    });
    rows.iter().collect()
}

pub(crate) fn info() -> DatasetInfo {
    POSTCODES.info.clone()
}
