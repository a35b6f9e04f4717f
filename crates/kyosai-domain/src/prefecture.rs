//! 都道府県 by JIS X 0401 code (01 北海道 … 47 沖縄県), e.g. for the scope of a special measure.

use std::fmt;

use serde::{Deserialize, Serialize};

const NAMES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// A prefecture. Serialized as its two-digit code (`"17"` = 石川県).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Prefecture(u8);

impl Prefecture {
    pub fn from_code(code: u8) -> Option<Prefecture> {
        (1..=47).contains(&code).then_some(Prefecture(code))
    }

    /// From the two-digit code (`"17"`) or the Japanese name (`"石川県"`).
    pub fn parse(s: &str) -> Option<Prefecture> {
        let s = s.trim();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().and_then(Prefecture::from_code);
        }
        NAMES
            .iter()
            .position(|n| *n == s)
            .and_then(|i| Prefecture::from_code(u8::try_from(i + 1).ok()?))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name_ja(self) -> &'static str {
        NAMES
            .get(usize::from(self.0).saturating_sub(1))
            .copied()
            .unwrap_or("")
    }
}

impl fmt::Display for Prefecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl TryFrom<String> for Prefecture {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Prefecture::parse(&s).ok_or_else(|| format!("unknown prefecture \"{s}\""))
    }
}

impl From<Prefecture> for String {
    fn from(p: Prefecture) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        let ishikawa = Prefecture::parse("17").unwrap();
        assert_eq!(ishikawa.name_ja(), "石川県");
        assert_eq!(Prefecture::parse("石川県"), Some(ishikawa));
        assert_eq!(Prefecture::parse("01").unwrap().name_ja(), "北海道");
        assert_eq!(Prefecture::parse("47").unwrap().name_ja(), "沖縄県");
        for bad in ["00", "48", "1", "石川", ""] {
            assert!(Prefecture::parse(bad).is_none(), "{bad}");
        }
    }
}
