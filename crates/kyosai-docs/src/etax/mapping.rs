//! The TEG850 element mapping, read from `teg850.toml` (data, provisional until checked against
//! TEG850-001.xsd; REFERENCE §7.2 and §11 item 6).

use std::sync::OnceLock;

use serde::Deserialize;

use super::EtaxError;

/// A value of the certificate that an element carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    IssuerName,
    IssuedOn,
    Year,
    ContractNumber,
    MemberName,
    MemberAddress,
    MonthlyPremium,
    MonthsPaid,
    Paid,
    ExpectedByDecember,
    PrepaymentDiscount,
    Deductible,
    DocumentNumber,
}

/// How a value is written (the gen: vocabulary of General.xsd, REFERENCE §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum XmlType {
    #[serde(rename = "text")]
    Text,
    #[serde(rename = "gen:kingaku")]
    Kingaku,
    #[serde(rename = "gen:count")]
    Count,
    #[serde(rename = "gen:yyyy")]
    Yyyy,
    #[serde(rename = "gen:yyyymmdd")]
    Yyyymmdd,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Element {
    pub code: String,
    pub label: String,
    pub field: Field,
    #[serde(rename = "type")]
    pub xml_type: XmlType,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sourced {
    pub value: String,
    pub source: String,
}

/// The whole table.
#[derive(Debug, Clone, Deserialize)]
pub struct Mapping {
    pub provisional: bool,
    pub form_id: String,
    pub version: String,
    pub stylesheet: String,
    pub kyotsu_namespace: Sourced,
    pub general_namespace: Sourced,
    #[serde(rename = "element")]
    pub elements: Vec<Element>,
}

impl Mapping {
    /// Parses a table and checks that every value is written with the type it has: a wrong
    /// type in the data would otherwise print an amount as a date.
    pub fn parse(text: &str) -> Result<Self, EtaxError> {
        let m: Mapping =
            toml::from_str(text).map_err(|e| EtaxError::Mapping(format!("teg850.toml: {e}")))?;
        for e in &m.elements {
            if e.xml_type != e.field.xml_type() {
                return Err(EtaxError::Mapping(format!(
                    "{} ({}): {:?} is written as {:?}, not {:?}",
                    e.code,
                    e.label,
                    e.field,
                    e.field.xml_type(),
                    e.xml_type
                )));
            }
            if !is_element_code(&e.code) {
                return Err(EtaxError::Mapping(format!("bad element code {:?}", e.code)));
            }
        }
        if !is_element_code(&m.form_id) {
            return Err(EtaxError::Mapping(format!("bad form ID {:?}", m.form_id)));
        }
        Ok(m)
    }

    /// The table compiled into the crate.
    pub fn builtin() -> &'static Mapping {
        static MAPPING: OnceLock<Mapping> = OnceLock::new();
        MAPPING.get_or_init(|| {
            Mapping::parse(include_str!("teg850.toml"))
                .unwrap_or_else(|e| panic!("the built-in TEG850 mapping is invalid: {e}"))
        })
    }
}

impl Field {
    pub fn xml_type(self) -> XmlType {
        match self {
            Self::IssuerName
            | Self::ContractNumber
            | Self::MemberName
            | Self::MemberAddress
            | Self::DocumentNumber => XmlType::Text,
            Self::IssuedOn => XmlType::Yyyymmdd,
            Self::Year => XmlType::Yyyy,
            Self::MonthsPaid => XmlType::Count,
            Self::MonthlyPremium
            | Self::Paid
            | Self::ExpectedByDecember
            | Self::PrepaymentDiscount
            | Self::Deductible => XmlType::Kingaku,
        }
    }
}

/// An element name that needs no escaping or prefix: ASCII letters then letters or digits.
fn is_element_code(code: &str) -> bool {
    code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && code.chars().all(|c| c.is_ascii_alphanumeric())
}
