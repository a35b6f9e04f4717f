//! The electronic 小規模企業共済等掛金控除証明書 (様式 TEG850) as e-Tax XML with an enveloped
//! XML signature (issue #13; REFERENCE §7.2).
//!
//! The structure follows the NTA's 電子的控除証明書 specification as far as it is known: an XML
//! declaration, the stylesheet instruction, the root `<TEG850>` with the attributes `VR`, `id`,
//! `page`, `sakuseiDay`, `sakuseiNM`, `softNM`, the default namespace `kyotsu` and `gen:` for
//! the general vocabulary, month and day not zero-padded. The content elements come from the
//! mapping table `teg850.toml` (provisional, see there).
//!
//! The signature: enveloped XML-DSig, the Reference's URI pointing at the root's `id`,
//! inclusive C14N 1.0, SHA-256 digest, RSA-SHA256, the X.509 certificate in KeyInfo
//! (the algorithm URIs of the NTA files are UNKNOWN, REFERENCE §11 item 6: these are the
//! XML-DSig standard ones that verifiers support). The document is written already in canonical
//! form (attributes in canonical order, no empty-element tags, C14N escaping, no whitespace
//! that canonicalisation would change), so the bytes that are digested and signed are the bytes
//! of the file: no XML library is needed, and `xmlsec1` checks the result in the tests.

mod mapping;
mod signing;

use base64::Engine;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use mapping::{Element, Field, Mapping, XmlType};
pub use signing::SigningKey;

#[derive(Debug, thiserror::Error)]
pub enum EtaxError {
    #[error("TEG850 mapping: {0}")]
    Mapping(String),
    #[error("signing key: {0}")]
    Key(String),
    #[error("a character XML cannot carry in {field}: U+{code:04X}")]
    Character { field: &'static str, code: u32 },
}

/// What a TEG850 certificate says: the figures of one 小規模 contract and calendar year, taken
/// from the ledger by the caller (`kyosai-app`'s certificate figures) so the XML says what the
/// portal shows. Only a certificate whose deductible amount is fixed has an electronic form
/// (holders whose 控除額 is "****" are excluded, REFERENCE §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teg850 {
    /// 年分 (calendar year).
    pub year: i16,
    pub contract_number: String,
    pub member_name: String,
    pub member_address: String,
    pub monthly_premium_yen: i64,
    pub months_paid: i64,
    /// Premiums paid in the year, 前納 included.
    pub paid_yen: i64,
    /// The current year only: still expected by December.
    pub expected_by_december_yen: Option<i64>,
    pub prepayment_discount_yen: i64,
    pub deductible_yen: i64,
    /// 証明者 (the Organization's name, from the rule set).
    pub issuer_name: String,
    pub issued_on: Date,
    pub document_number: String,
}

/// The root's `id`, which the signature's Reference points at.
pub const ROOT_ID: &str = "TEG850";
/// The software name in `softNM`.
const SOFTWARE: &str = "Kyosai";

const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Renders and signs `cert` with the built-in mapping: the bytes of the `.xml` file.
pub fn render(cert: &Teg850, key: &SigningKey) -> Result<Vec<u8>, EtaxError> {
    render_with(Mapping::builtin(), cert, key)
}

/// Renders and signs `cert` with `mapping`.
pub fn render_with(
    mapping: &Mapping,
    cert: &Teg850,
    key: &SigningKey,
) -> Result<Vec<u8>, EtaxError> {
    let kyotsu = &mapping.kyotsu_namespace.value;
    let general = &mapping.general_namespace.value;
    let form = &mapping.form_id;
    // The root start tag in canonical order: namespace declarations (default first), then the
    // attributes sorted by name (upper case before lower case).
    let mut body = format!(
        "<{form} xmlns=\"{}\" xmlns:gen=\"{}\" VR=\"{}\" id=\"{ROOT_ID}\" page=\"1\" sakuseiDay=\"{}\" sakuseiNM=\"{}\" softNM=\"{SOFTWARE}\">\n",
        attr(kyotsu, "namespace")?,
        attr(general, "namespace")?,
        attr(&mapping.version, "VR")?,
        cert.issued_on,
        attr(&cert.issuer_name, "issuer_name")?,
    );
    for e in &mapping.elements {
        if let Some(content) = content(e.field, cert)? {
            body.push_str(&format!("<{0}>{content}</{0}>\n", e.code));
        }
    }
    let tail = format!("</{form}>");
    // Enveloped-signature transform, then C14N: the root without the Signature element.
    let digest = Sha256::digest(format!("{body}{tail}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    let signed_info = format!(
        "<dsig:SignedInfo><dsig:CanonicalizationMethod Algorithm=\"{C14N}\"></dsig:CanonicalizationMethod><dsig:SignatureMethod Algorithm=\"{RSA_SHA256}\"></dsig:SignatureMethod><dsig:Reference URI=\"#{ROOT_ID}\"><dsig:Transforms><dsig:Transform Algorithm=\"{ENVELOPED}\"></dsig:Transform><dsig:Transform Algorithm=\"{C14N}\"></dsig:Transform></dsig:Transforms><dsig:DigestMethod Algorithm=\"{SHA256}\"></dsig:DigestMethod><dsig:DigestValue>{}</dsig:DigestValue></dsig:Reference></dsig:SignedInfo>",
        b64.encode(digest)
    );
    // SignedInfo canonicalised on its own carries every namespace in scope (inclusive C14N):
    // the default one and gen: from the root, dsig: from Signature, in canonical order.
    let canonical_signed_info = signed_info.replacen(
        "<dsig:SignedInfo>",
        &format!(
            "<dsig:SignedInfo xmlns=\"{}\" xmlns:dsig=\"{DSIG}\" xmlns:gen=\"{}\">",
            attr(kyotsu, "namespace")?,
            attr(general, "namespace")?
        ),
        1,
    );
    let signature_value = b64.encode(key.sign(canonical_signed_info.as_bytes())?);
    let certificates: String = key
        .certificates_der()
        .iter()
        .map(|der| {
            format!(
                "<dsig:X509Certificate>{}</dsig:X509Certificate>",
                b64.encode(der)
            )
        })
        .collect();
    let signature = format!(
        "<dsig:Signature xmlns:dsig=\"{DSIG}\">{signed_info}<dsig:SignatureValue>{signature_value}</dsig:SignatureValue><dsig:KeyInfo><dsig:X509Data>{certificates}</dsig:X509Data></dsig:KeyInfo></dsig:Signature>"
    );
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"{}\"?>\n{body}{signature}{tail}\n",
        attr(&mapping.stylesheet, "stylesheet")?
    )
    .into_bytes())
}

/// The content of one element, or None to leave it out.
fn content(field: Field, c: &Teg850) -> Result<Option<String>, EtaxError> {
    let yen = |v: i64| Some(v.to_string());
    Ok(match field {
        Field::IssuerName => Some(text(&c.issuer_name, "issuer_name")?),
        Field::IssuedOn => Some(format!(
            "<gen:yyyy>{}</gen:yyyy><gen:mm>{}</gen:mm><gen:dd>{}</gen:dd>",
            c.issued_on.year(),
            c.issued_on.month(),
            c.issued_on.day()
        )),
        Field::Year => Some(format!("<gen:yyyy>{}</gen:yyyy>", c.year)),
        Field::ContractNumber => Some(text(&c.contract_number, "contract_number")?),
        Field::MemberName => Some(text(&c.member_name, "member_name")?),
        Field::MemberAddress => Some(text(&c.member_address, "member_address")?),
        Field::MonthlyPremium => yen(c.monthly_premium_yen),
        Field::MonthsPaid => yen(c.months_paid),
        Field::Paid => yen(c.paid_yen),
        Field::ExpectedByDecember => c.expected_by_december_yen.and_then(yen),
        Field::PrepaymentDiscount => yen(c.prepayment_discount_yen),
        Field::Deductible => yen(c.deductible_yen),
        Field::DocumentNumber => Some(text(&c.document_number, "document_number")?),
    })
}

/// Character data escaped as C14N writes it.
fn text(s: &str, field: &'static str) -> Result<String, EtaxError> {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        check_char(ch, field)?;
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(ch),
        }
    }
    Ok(out)
}

/// An attribute value escaped as C14N writes it.
fn attr(s: &str, field: &'static str) -> Result<String, EtaxError> {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        check_char(ch, field)?;
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(ch),
        }
    }
    Ok(out)
}

/// XML 1.0 `Char`: anything else cannot be written at all, escaped or not.
fn check_char(ch: char, field: &'static str) -> Result<(), EtaxError> {
    let ok = matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if ok {
        Ok(())
    } else {
        Err(EtaxError::Character {
            field,
            code: u32::from(ch),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_mapping_parses_and_is_marked_provisional() {
        let m = Mapping::builtin();
        assert!(m.provisional);
        assert_eq!(m.form_id, "TEG850");
        assert!(m.elements.iter().any(|e| e.field == Field::Deductible));
    }

    #[test]
    fn a_mapping_that_writes_an_amount_as_text_is_refused() {
        let bad = include_str!("teg850.toml").replacen(
            "field = \"paid\"\ntype = \"gen:kingaku\"",
            "field = \"paid\"\ntype = \"text\"",
            1,
        );
        assert!(matches!(Mapping::parse(&bad), Err(EtaxError::Mapping(_))));
    }

    #[test]
    fn escaping_follows_c14n() {
        assert_eq!(
            text("a&b<c>d\r", "t").unwrap_or_default(),
            "a&amp;b&lt;c&gt;d&#xD;"
        );
        assert_eq!(
            attr("\"x\"\t\n", "t").unwrap_or_default(),
            "&quot;x&quot;&#x9;&#xA;"
        );
        assert!(text("nul\u{0}", "t").is_err());
    }
}
