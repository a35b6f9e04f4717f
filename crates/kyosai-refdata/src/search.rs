//! Loose matching for bank and branch search boxes.
//!
//! Both the query and the candidate names are folded to one form, so that
//! `みずほ`, `ﾐｽﾞﾎ` and `ミズホ` match the Zengin kana `ミズホ`, `ゆうちょ`
//! matches `ユウチヨ` (Zengin kana have no small letters) and `三菱UFJ`
//! matches `三菱ＵＦＪ`.

use unicode_normalization::UnicodeNormalization;

/// Fold `s` for comparison: NFKC (full-width ASCII and half-width kana to
/// their usual forms), hiragana to katakana, small kana to large, every kind
/// of dash or long-vowel mark to `-`, ASCII lowercase, spaces and `・` removed.
pub(crate) fn fold(s: &str) -> String {
    s.nfkc().filter_map(fold_char).collect()
}

fn fold_char(c: char) -> Option<char> {
    let c = match c {
        // Hiragana ぁ..ゖ to katakana ァ..ヶ.
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    };
    Some(match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ー' | '-' | '‐' | '‑' | '−' | '―' | '—' | '–' => '-',
        ' ' | '\u{3000}' | '・' => return None,
        c => c.to_ascii_lowercase(),
    })
}

/// Strip the institution-type words that Zengin names abbreviate or omit, so
/// that `みずほ銀行` finds `みずほ` and `北海道信用金庫` finds `北海道信金`.
/// `q` must already be folded.
pub(crate) fn bank_query(q: &str) -> String {
    let mut q = q.to_owned();
    for (long, short) in [
        ("信用金庫", "信金"),
        ("シンヨウキンコ", "シンキン"),
        ("信用組合", "信組"),
        ("シンヨウクミアイ", "シンクミ"),
        ("労働金庫", "労金"),
        ("ロウドウキンコ", "ロウキン"),
        ("農業協同組合", "農協"),
        ("ノウギヨウキヨウドウクミアイ", "ノウキヨウ"),
    ] {
        q = q.replace(long, short);
    }
    for suffix in ["銀行", "ギンコウ"] {
        if let Some(stripped) = q.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            q = stripped.to_owned();
        }
    }
    q
}

/// Strip `支店` / `シテン` at the end of a branch query (Zengin branch names
/// omit it: `新宿` for 新宿支店).
pub(crate) fn branch_query(q: &str) -> String {
    for suffix in ["支店", "シテン"] {
        if let Some(stripped) = q.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            return stripped.to_owned();
        }
    }
    q.to_owned()
}

/// How well a record matches: lower is better, `None` is no match.
/// 0 code equal, 1 code prefix, 2 name or kana prefix, 3 substring, 4 empty
/// query. `name` and `kana` must already be folded.
pub(crate) fn rank(code: &str, name: &str, kana: &str, raw: &str, folded: &str) -> Option<u8> {
    if !raw.is_empty() && code == raw {
        return Some(0);
    }
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) && code.starts_with(raw) {
        return Some(1);
    }
    if folded.is_empty() {
        return Some(4);
    }
    if name.starts_with(folded) || kana.starts_with(folded) {
        Some(2)
    } else if name.contains(folded) || kana.contains(folded) {
        Some(3)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_kana_and_width() {
        assert_eq!(fold("ゆうちょ"), "ユウチヨ");
        assert_eq!(fold("ﾐｽﾞﾎ"), "ミズホ");
        assert_eq!(fold("三菱ＵＦＪ"), "三菱ufj");
        assert_eq!(
            fold("ミツビシユ－エフジエイ"),
            fold("みつびしゆーえふじえい")
        );
        assert_eq!(bank_query(&fold("みずほ銀行")), "ミズホ");
        assert_eq!(bank_query(&fold("北海道信用金庫")), "北海道信金");
        assert_eq!(bank_query(&fold("銀行")), "銀行");
        assert_eq!(branch_query("新宿支店"), "新宿");
    }
}
