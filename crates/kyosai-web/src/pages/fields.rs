//! The enrollment form (wizard steps, their fields, labels and how stored values read) and the
//! debit account fields, built with the shared [`crate::form_kit`].

use std::collections::BTreeMap;

use kyosai_app::enrollment::EnrollmentForm;
use kyosai_domain::enrollment::ApplicantRole;
use kyosai_domain::prefecture::Prefecture;
use kyosai_domain::rules::{Industry, LegalForm, PaymentFrequency};
use kyosai_domain::{FieldError, Program};

use super::view::yen;
use crate::form_kit::{Field, Section};

/// The form field a use-case error is about (`declarations.truthful` is the checkbox
/// `declare_truthful`).
pub fn form_field(error_field: &str) -> &str {
    match error_field {
        "declarations.truthful" => "declare_truthful",
        "declarations.not_antisocial" => "declare_not_antisocial",
        "declarations.eligible" => "declare_eligible",
        other => other,
    }
}

/// Use-case errors named after the form fields they are shown at.
fn on_form_fields(errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| FieldError {
            field: form_field(&e.field).to_string(),
            ..e.clone()
        })
        .collect()
}

/// The enrollment form as name → text.
pub fn form_values(form: &EnrollmentForm) -> BTreeMap<String, String> {
    match serde_json::to_value(form) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Rebuilds the form from name → text (unknown names are ignored; empty text is "not given").
pub fn form_from_values(values: &BTreeMap<String, String>) -> EnrollmentForm {
    let map: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
}

/// The wizard's steps: short name and page heading.
pub const STEPS: [(&str, &str); 5] = [
    ("申込者", "申し込む方について"),
    ("事業", "事業について"),
    ("掛金", "掛金について"),
    ("口座", "掛金を引き落とす口座"),
    ("確認", "入力内容の確認"),
];

/// The form fields each step asks for.
pub fn step_fields(step: u8) -> &'static [&'static str] {
    match step {
        1 => &[
            "role",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "birth_date",
            "phone",
        ],
        2 => &[
            "business_name",
            "legal_form",
            "industry",
            "employees",
            "capital_yen",
            "business_started_on",
            "postcode",
            "prefecture",
            "city",
            "address_line",
        ],
        3 => &["monthly_premium_yen", "payment_frequency"],
        4 => &[
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "account_holder_kana",
        ],
        5 => &[
            "declare_truthful",
            "declare_not_antisocial",
            "declare_eligible",
        ],
        _ => &[],
    }
}

/// The step where an error is shown (errors about the whole application go to the last step).
pub fn step_of(error_field: &str) -> u8 {
    let name = form_field(error_field);
    (1..=4)
        .find(|s| step_fields(*s).contains(&name))
        .unwrap_or(5)
}

fn named<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    name: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| (value(*x).to_string(), name(*x).to_string()))
        .collect()
}

/// Allowed premiums, as shown next to the premium field.
pub struct PremiumRange {
    pub min: i64,
    pub max: i64,
    pub step: i64,
    pub frequencies: Vec<PaymentFrequency>,
}

impl PremiumRange {
    pub fn text(&self) -> String {
        format!(
            "{}から{}まで、{}単位で選べます。",
            yen(self.min),
            yen(self.max),
            yen(self.step)
        )
    }

    /// `半年払・年払は、月額の6か月分・12か月分をまとめて引き落とします。` for the frequencies
    /// of the rule set in force that collect more than one month; empty when there are none.
    pub fn frequency_hint(&self) -> String {
        let grouped: Vec<PaymentFrequency> = self
            .frequencies
            .iter()
            .copied()
            .filter(|f| f.months_per_debit() > 1)
            .collect();
        if grouped.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = grouped.iter().map(|f| f.name_ja()).collect();
        let months: Vec<String> = grouped
            .iter()
            .map(|f| format!("{}か月分", f.months_per_debit()))
            .collect();
        format!(
            "{}は、月額の{}をまとめて引き落とします。",
            names.join("・"),
            months.join("・")
        )
    }
}

/// The sections of one step (or, for staff editing, of steps 1 to 5 together).
pub fn enrollment_sections(
    program: Program,
    step: u8,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    premium: &PremiumRange,
    id_prefix: &str,
) -> Vec<Section> {
    let errors = on_form_fields(errors);
    let f = |field: Field| field.id_prefix(id_prefix).fill(values, &errors);
    let mut sections = Vec::new();
    if step == 1 {
        let mut person = Vec::new();
        if program == Program::SmallEnterprise {
            person.push(f(Field::text("role", "加入される方の立場")
                .kind("radio")
                .hint("共同経営者の方は、経営への参画を示す書類を職員が確認します。")
                .choices(named(
                    &ApplicantRole::ALL,
                    ApplicantRole::as_str,
                    ApplicantRole::name_ja,
                ))));
        }
        person.extend([
            f(Field::text("family_name", "氏名（姓）")
                .autocomplete("family-name")
                .width("w-8")),
            f(Field::text("given_name", "氏名（名）")
                .autocomplete("given-name")
                .width("w-8")),
            f(Field::text("family_name_kana", "フリガナ（セイ）")
                .hint("カタカナで入力してください。")
                .width("w-8")),
            f(Field::text("given_name_kana", "フリガナ（メイ）")
                .hint("カタカナで入力してください。")
                .width("w-8")),
            f(Field::text("birth_date", "生年月日")
                .input_type("date")
                .autocomplete("bday")
                .hint("例：1975年4月1日")
                .width("w-8")),
            f(Field::text("phone", "電話番号")
                .input_type("tel")
                .autocomplete("tel")
                .hint("日中に連絡のつく番号。例：03-1234-5678")
                .width("w-8")
                .maxlength(20)),
        ]);
        sections.push(Section::new("申し込む方", person));
    }
    if step == 2 {
        sections.push(Section::new(
            "事業の内容",
            vec![
                f(Field::text("business_name", "事業所名・屋号")
                    .autocomplete("organization")
                    .hint("屋号がない場合は氏名を入力してください。")),
                f(Field::text("legal_form", "事業の形態")
                    .kind("select")
                    .choices(named(
                        &LegalForm::ALL,
                        LegalForm::as_str,
                        LegalForm::name_ja,
                    ))),
                f(Field::text("industry", "業種")
                    .kind("select")
                    .choices(named(&Industry::ALL, Industry::as_str, Industry::name_ja))),
                f(Field::text("employees", "常時使用する従業員数（人）")
                    .numeric()
                    .hint("役員・家族従業員は含めません。いない場合は0。")
                    .width("w-4")
                    .maxlength(9)),
                f(Field::text("capital_yen", "資本金・出資金（円）")
                    .numeric()
                    .optional()
                    .hint("会社などの場合に入力してください。個人事業の方は空欄で構いません。")
                    .width("w-8")
                    .maxlength(20)),
                f(Field::text("business_started_on", "事業を始めた日")
                    .input_type("date")
                    .hint("開業届や設立登記の日付。例：2015年4月1日")
                    .width("w-8")),
            ],
        ));
        let mut postcode = Section::new(
            "事業所の所在地",
            vec![f(Field::text("postcode", "郵便番号")
                .numeric()
                .autocomplete("postal-code")
                .hint("7桁の数字。例：1000001。「住所を検索」で都道府県と市区町村を入力できます。")
                .width("w-4")
                .maxlength(10))],
        );
        postcode.extra = "postcode";
        sections.push(postcode);
        let prefectures = (1..=47)
            .filter_map(Prefecture::from_code)
            .map(|p| (p.name_ja(), p.name_ja()));
        sections.push(Section::new(
            "",
            vec![
                f(Field::text("prefecture", "都道府県")
                    .kind("select")
                    .autocomplete("address-level1")
                    .choices(prefectures)),
                f(Field::text("city", "市区町村").autocomplete("address-level2")),
                f(Field::text("address_line", "町名・番地・建物名")
                    .autocomplete("address-line1")
                    .hint("例：千代田1-1 ○○ビル2階")),
            ],
        ));
    }
    if step == 3 {
        let mut fields = vec![f(Field::text("monthly_premium_yen", "掛金月額（円）")
            .numeric()
            .hint(premium.text())
            .width("w-8")
            .maxlength(12))];
        if program == Program::SmallEnterprise {
            fields.push(f(Field::text("payment_frequency", "払込方法")
                .kind("radio")
                .hint(premium.frequency_hint())
                .choices(
                    premium
                        .frequencies
                        .iter()
                        .map(|p| (p.as_str(), p.name_ja())),
                )));
        }
        sections.push(Section::new("掛金", fields));
    }
    if step == 4 {
        sections.extend(account_sections(values, &errors, id_prefix));
    }
    if step == 5 {
        sections.push(Section::new(
            "申込みにあたっての確認",
            vec![
                f(
                    Field::text("declare_truthful", "申込内容は事実と相違ありません")
                        .kind("checkbox"),
                ),
                f(
                    Field::text("declare_not_antisocial", "反社会的勢力に該当しません")
                        .kind("checkbox"),
                ),
                f(Field::text(
                    "declare_eligible",
                    "加入資格を満たしています（給与所得者の副業ではないこと等）",
                )
                .kind("checkbox")),
            ],
        ));
    }
    sections
}

/// The debit account fields (bank with its search, branch with its search, type, number,
/// holder): the enrollment's account step and the account change page.
pub fn account_sections(
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    id_prefix: &str,
) -> Vec<Section> {
    let errors = on_form_fields(errors);
    let f = |field: Field| field.id_prefix(id_prefix).fill(values, &errors);
    let mut sections = Vec::new();
    let mut bank = Section::new(
        "金融機関",
        vec![f(Field::text("bank_code", "金融機関コード（4桁）")
            .numeric()
            .hint("上の検索で金融機関を選ぶと入ります。コードがわかる場合は直接入力できます。")
            .width("w-4")
            .maxlength(4))],
    );
    bank.extra = "bank";
    sections.push(bank);
    let mut branch = Section::new(
        "支店",
        vec![f(Field::text("branch_code", "支店コード（3桁）")
            .numeric()
            .hint("上の検索で支店を選ぶと入ります。ゆうちょ銀行の場合は、振込用の店番（3桁）です。")
            .width("w-4")
            .maxlength(3))],
    );
    branch.extra = "branch";
    sections.push(branch);
    sections.push(Section::new(
        "口座",
        vec![
            f(Field::text("account_type", "預金種目")
                .kind("radio")
                .choices([("ordinary", "普通"), ("current", "当座")])),
            f(Field::text("account_number", "口座番号（7桁以内）")
                .numeric()
                .width("w-8")
                // Room for a mistyped eighth digit: the browser would cut it silently, the
                // check says what is wrong.
                .maxlength(20)),
            f(Field::text("account_holder_kana", "口座名義（カナ）")
                .hint("通帳に記載の名義をカタカナで。例：ヤマダ タロウ")
                .maxlength(60)),
        ],
    ));
    sections
}

/// A row of the read-only summary (confirmation page, staff detail).
pub struct Row {
    pub label: String,
    pub value: String,
}

/// Labels of every enrollment field, for summaries.
pub fn label_of(name: &str) -> &'static str {
    match name {
        "role" => "加入される方の立場",
        "family_name" => "氏名（姓）",
        "given_name" => "氏名（名）",
        "family_name_kana" => "フリガナ（セイ）",
        "given_name_kana" => "フリガナ（メイ）",
        "birth_date" => "生年月日",
        "phone" => "電話番号",
        "business_name" => "事業所名・屋号",
        "legal_form" => "事業の形態",
        "industry" => "業種",
        "employees" => "常時使用する従業員数",
        "capital_yen" => "資本金・出資金",
        "business_started_on" => "事業を始めた日",
        "postcode" => "郵便番号",
        "prefecture" => "都道府県",
        "city" => "市区町村",
        "address_line" => "町名・番地・建物名",
        "monthly_premium_yen" => "掛金月額",
        "payment_frequency" => "払込方法",
        "bank_code" => "金融機関",
        "branch_code" => "支店",
        "account_type" => "預金種目",
        "account_number" => "口座番号",
        "account_holder_kana" => "口座名義（カナ）",
        "declare_truthful" => "申込内容は事実と相違ありません",
        "declare_not_antisocial" => "反社会的勢力に該当しません",
        "declare_eligible" => "加入資格を満たしています",
        _ => "",
    }
}

/// A stored value as the member reads it (choices by name, banks with their names).
pub fn display_value(name: &str, values: &BTreeMap<String, String>) -> String {
    let v = values.get(name).map(String::as_str).unwrap_or("").trim();
    let shown = match name {
        "role" => ApplicantRole::parse(v).map(|r| r.name_ja().to_string()),
        "legal_form" => LegalForm::parse(v).map(|r| r.name_ja().to_string()),
        "industry" => Industry::parse(v).map(|r| r.name_ja().to_string()),
        "payment_frequency" => PaymentFrequency::parse(v).map(|r| r.name_ja().to_string()),
        "account_type" => match v {
            "ordinary" => Some("普通".into()),
            "current" => Some("当座".into()),
            _ => None,
        },
        "employees" if !v.is_empty() => Some(format!("{v}人")),
        "birth_date" | "business_started_on" => v
            .replace('/', "-")
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|d| format!("{}年{}月{}日", d.year(), d.month(), d.day())),
        "capital_yen" | "monthly_premium_yen" | "refund_yen" => {
            kyosai_domain::input::parse_yen(v).ok().map(yen)
        }
        "bank_code" => kyosai_refdata::bank(v).map(|b| {
            format!(
                "{}（{}）",
                super::bank_picker::bank_display_name(b.code, b.name),
                b.code
            )
        }),
        "branch_code" => values
            .get("bank_code")
            .and_then(|b| kyosai_refdata::branch(b.trim(), v))
            .map(|b| format!("{}（{}）", b.name, b.code)),
        "declare_truthful" | "declare_not_antisocial" | "declare_eligible" => Some(
            if v.is_empty() {
                "未確認"
            } else {
                "確認済み"
            }
            .into(),
        ),
        _ => None,
    };
    match shown {
        Some(s) => s,
        None if v.is_empty() => "（未入力）".into(),
        None => v.to_string(),
    }
}

/// The read-only rows of one step.
pub fn rows(program: Program, step: u8, values: &BTreeMap<String, String>) -> Vec<Row> {
    step_fields(step)
        .iter()
        .filter(|n| !(program == Program::SafetyNet && matches!(**n, "role" | "payment_frequency")))
        .map(|n| Row {
            label: label_of(n).to_string(),
            value: display_value(n, values),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(frequencies: Vec<PaymentFrequency>) -> PremiumRange {
        PremiumRange {
            min: 1_000,
            max: 70_000,
            step: 500,
            frequencies,
        }
    }

    #[test]
    fn the_frequency_hint_names_the_months_each_debit_collects() {
        let all = range(vec![
            PaymentFrequency::Monthly,
            PaymentFrequency::SemiAnnual,
            PaymentFrequency::Annual,
        ]);
        assert_eq!(
            all.frequency_hint(),
            "半年払・年払は、月額の6か月分・12か月分をまとめて引き落とします。"
        );
        let annual = range(vec![PaymentFrequency::Monthly, PaymentFrequency::Annual]);
        assert_eq!(
            annual.frequency_hint(),
            "年払は、月額の12か月分をまとめて引き落とします。"
        );
        assert_eq!(range(vec![PaymentFrequency::Monthly]).frequency_hint(), "");
    }
}
