//! The password policy (issue #15 item 5; NIST SP 800-63B §5.1.1.2, ASVS 2.1): length first,
//! no composition rules, and a refusal of passwords an attacker tries first: known common and
//! leaked ones (two offline lists shipped in the binary: our curated bases and the 30,000 most
//! frequent passwords of a leaked corpus), ones built from the e-mail address, and runs of one
//! character or of a keyboard or number sequence.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::AppError;

/// ASVS 2.1.1 asks for at least 12 characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// How a form explains the policy.
pub const POLICY_JA: &str = "12文字以上128文字以内で入力してください。よく使われるパスワードや、メールアドレスを含むパスワードは使えません。長い文（例：好きな言葉を空白でつないだもの）がおすすめです。";

/// Bases curated by the project (Japanese words and this service's own among them).
const COMMON: &str = include_str!("../data/common-passwords.txt");
/// Passwords seen in leaks, most frequent first (source and licence in the file's header).
const BREACHED: &str = include_str!("../data/breached-passwords.txt");

/// Both lists as one set, built once on first use (about 30,000 entries).
fn known() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .chain(BREACHED.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// The password as a guesser thinks of it: lower case, common digit-for-letter swaps undone,
/// digits and symbols at either end removed (`P@ssw0rd2026!` → `password`).
fn core(password: &str) -> String {
    let folded: String = password
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .collect();
    // The ends are trimmed on the original (digits there are a year or a counter, not letters).
    let lower = password.to_lowercase();
    let start = lower
        .char_indices()
        .find(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i);
    let end = lower
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphabetic())
        .map(|(i, c)| i + c.len_utf8());
    match (start, end) {
        (Some(s), Some(e)) if s < e => folded
            .get(s..e)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_' && *c != '.')
            .collect(),
        _ => String::new(),
    }
}

/// `aaaaaaaaaaaa`, `123456789012`, `abcdefghijkl`, `qwertyqwerty`: a run of one character, a
/// sequence, or a short piece repeated.
fn trivial(password: &str) -> bool {
    let chars: Vec<char> = password.to_lowercase().chars().collect();
    // Neighbours in the alphabet or on the number row (…8, 9, 0, 1…).
    let sequence = chars.windows(2).all(|w| {
        let (a, b) = (w[0] as i64, w[1] as i64);
        (b - a).abs() <= 1 || (w[0].is_ascii_digit() && w[1].is_ascii_digit() && (b - a).abs() == 9)
    });
    let repeated = (1..=chars.len() / 2)
        .any(|n| chars.len().is_multiple_of(n) && chars.chunks(n).all(|c| c == &chars[..n]));
    sequence || repeated
}

/// The part of the address a person builds a password from: the local part, with and without
/// its punctuation (`taro.yamada@…` → `taro.yamada`, `taroyamada`). The domain is left out: an
/// organisation's name in its staff's passwords is common but not guessable from one address
/// alone, and the local part is what a guesser tries first.
fn email_parts(email: &str) -> Vec<String> {
    let email = email.trim().to_lowercase();
    let local = email.split_once('@').map_or(email.as_str(), |(l, _)| l);
    let mut parts = vec![
        local.to_string(),
        local.chars().filter(|c| c.is_alphanumeric()).collect(),
    ];
    parts.retain(|p| p.chars().count() >= 4);
    parts
}

/// Checks a new password; the refusal says why in Japanese (field `password`, code `weak`).
pub fn check_password(password: &str, email: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    // Typed with the Japanese input method on: full-width letters and digits are not what the
    // person will type next time on another keyboard.
    let full_width = password
        .chars()
        .any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}');
    let lower = password.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let message = if n == 0 {
        "パスワードを入力してください。".to_string()
    } else if full_width {
        "パスワードに全角の英数字・記号・空白が含まれています。半角で入力してください。".to_string()
    } else if n < MIN_PASSWORD_CHARS {
        format!("パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください。")
    } else if n > MAX_PASSWORD_CHARS {
        format!("パスワードは{MAX_PASSWORD_CHARS}文字以内にしてください。")
    } else if email_parts(email)
        .iter()
        .any(|p| lower.contains(p.as_str()) || squeezed.contains(p.as_str()))
    {
        "メールアドレスを含むパスワードは使えません。".to_string()
    } else if trivial(password)
        || known().contains(lower.as_str())
        || known().contains(core(password).as_str())
    {
        "よく使われていて推測されやすいパスワードです。別のパスワードにしてください。".to_string()
    } else {
        return Ok(());
    };
    Err(AppError::invalid("password", "weak", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: &str, email: &str) -> bool {
        check_password(p, email).is_err()
    }

    #[test]
    fn policy() {
        // Too short, even if strong-looking.
        assert!(refused("password12", "a@b.jp"));
        assert!(refused("Xk9#mQ2$vL7", "a@b.jp"));
        // Common bases with digits, symbols and swaps around them.
        for p in [
            "password1234",
            "P@ssw0rd2026!",
            "qwertyuiop12",
            "sakura123456",
            "123456789012",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
            "qwertyqwerty",
            "Tokyo2026!!!",
        ] {
            assert!(refused(p, "a@b.jp"), "{p}");
        }
        // Built from the e-mail address.
        assert!(refused("taro.yamada2026", "taro.yamada@shoten.jp"));
        assert!(refused("TaroYamada!!99", "taro.yamada@shoten.jp"));
        assert!(check_password("kyosai-demo-2026", "staff1@kyosai.example.jp").is_ok());
        // Long, uncommon passwords pass, whatever their composition.
        for p in [
            "correct horse 2026",
            "kyosai-demo-2026",
            "onlyletterslong",
            "secure password 1",
            "letters and 1 digit",
        ] {
            assert!(check_password(p, "a@b.jp").is_ok(), "{p}");
        }
        assert!(refused(&"a1".repeat(65), "a@b.jp"));
        // Leaked passwords of 12 or more characters, as they were leaked and with a year
        // added to a leaked base (entries of the leaked list, not of the curated one).
        for p in [
            "1qaz2wsx3edc",
            "q1w2e3r4t5y6",
            "123qweasdzxc",
            "Scoobydoo2026!",
            "SWORDFISH1999",
        ] {
            assert!(refused(p, "a@b.jp"), "{p}");
        }
        let Err(AppError::Invalid(f)) = check_password("ｐａｓｓｗｏｒｄ１２３４", "a@b.jp")
        else {
            panic!("a full-width password is refused");
        };
        assert!(f[0].message.contains("全角"), "{}", f[0].message);
    }
}
