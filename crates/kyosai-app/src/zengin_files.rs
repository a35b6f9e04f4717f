//! Zengin files from stored data: the header from an originator, a record from a bill line or a
//! mandate, and the finished bytes written into place (named by the caller, digested, renamed
//! from a temporary file so a reader never sees half a file). Billing (種別 91 口座振替) and the
//! 前納減額金 payout (種別 21 総合振込) use it; later payouts and loan repayments reuse it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kyosai_store::billing::{FileContent, FileLine, Originator};
use kyosai_store::payouts::PayeeAccount;
use kyosai_store::sha256_hex;
use kyosai_zengin::CharClass;
use kyosai_zengin::debit::{
    AccountType, DataRecord, DebitDate, Header, LineEnding, NewCode, OriginatorAccount,
    WriteOptions,
};
use kyosai_zengin::text::{
    AccountNumber, BankCode, BankName, BranchCode, CustomerNumber, HolderName, OriginatorCode,
    OriginatorName,
};
use kyosai_zengin::transfer::{
    TransferAccountType, TransferCategory, TransferHeader, TransferRecord,
};

use crate::AppError;
use crate::billing::internal;

fn account_type(s: &str) -> AccountType {
    match s {
        "ordinary" | "1" => AccountType::Ordinary,
        "current" | "2" => AccountType::Current,
        "tax_reserve" | "3" => AccountType::TaxReserve,
        _ => AccountType::Other,
    }
}

/// Customer numbers (顧客番号) of loan lines start here: a premium's is its bill line id, a
/// loan repayment's is 10^19 + its loan line id, so the leading digit of the 20-digit field says
/// which a bank's answer is for.
pub(crate) const LOAN_CUSTOMER_BASE: u64 = 10_000_000_000_000_000_000;

/// The customer number of a line in a request file.
pub(crate) fn customer_number(content: FileContent, id: i64) -> u64 {
    let id = u64::try_from(id).unwrap_or(0);
    match content {
        FileContent::Premiums => id,
        FileContent::Loans => LOAN_CUSTOMER_BASE + id,
    }
}

/// Zengin kana for a bank or branch name (full-width published kana → half-width, cut to the
/// 15-byte field; the name fields are informative, the codes decide).
fn bank_field(kana: &str) -> BankName {
    kyosai_zengin::kana::convert(kana, CharClass::Bank)
        .ok()
        .and_then(|k| BankName::new(&k.chars().take(15).collect::<String>()).ok())
        .unwrap_or_default()
}

/// Zengin kana of bank and branch names, looked up once per code.
#[derive(Default)]
pub(crate) struct NameCache {
    banks: HashMap<String, BankName>,
    branches: HashMap<(String, String), BankName>,
}

impl NameCache {
    fn bank(&mut self, code: &str) -> BankName {
        *self.banks.entry(code.to_string()).or_insert_with(|| {
            kyosai_refdata::bank(code)
                .map(|b| bank_field(b.kana))
                .unwrap_or_default()
        })
    }

    fn branch(&mut self, bank: &str, branch: &str) -> BankName {
        *self
            .branches
            .entry((bank.to_string(), branch.to_string()))
            .or_insert_with(|| {
                kyosai_refdata::branch(bank, branch)
                    .map(|b| bank_field(b.kana))
                    .unwrap_or_default()
            })
    }

    /// The data record of a stored bill line or loan line (customer number: [`customer_number`]).
    pub(crate) fn record(
        &mut self,
        l: &FileLine,
        content: FileContent,
    ) -> Result<DataRecord, AppError> {
        Ok(DataRecord {
            bank_code: BankCode::new(&l.bank_code).map_err(internal)?,
            bank_name: self.bank(&l.bank_code),
            branch_code: BranchCode::new(&l.branch_code).map_err(internal)?,
            branch_name: self.branch(&l.bank_code, &l.branch_code),
            account_type: account_type(&l.account_type),
            account_number: AccountNumber::new(&l.account_number).map_err(internal)?,
            holder_name: HolderName::new(&l.holder_kana).map_err(internal)?,
            amount: l.amount,
            new_code: NewCode::from_digit(l.new_code as u8).unwrap_or_default(),
            customer_number: CustomerNumber::from_u64(customer_number(content, l.id))
                .map_err(internal)?,
            result_code: None,
        })
    }
}

/// The Zengin header date (month and day) of a debit date.
pub(crate) fn zengin_date(debit_date: jiff::civil::Date) -> Result<DebitDate, AppError> {
    DebitDate::new(debit_date.month() as u8, debit_date.day() as u8).map_err(internal)
}

/// The header record of an originator's 口座振替 (種別 91) request file.
pub(crate) fn debit_header(o: &Originator, date: DebitDate) -> Result<Header, AppError> {
    Ok(Header {
        originator_code: OriginatorCode::new(&o.code).map_err(internal)?,
        originator_name: OriginatorName::new(&o.name_kana).map_err(internal)?,
        debit_date: date,
        bank_code: BankCode::new(&o.bank_code).map_err(internal)?,
        bank_name: BankName::new(&o.bank_name_kana).map_err(internal)?,
        branch_code: BranchCode::new(&o.branch_code).map_err(internal)?,
        branch_name: BankName::new(&o.branch_name_kana).map_err(internal)?,
        account: Some(OriginatorAccount {
            account_type: account_type(&o.account_type),
            account_number: AccountNumber::new(&o.account_number).map_err(internal)?,
        }),
    })
}

/// The line ending an originator's bank wants.
pub(crate) fn write_options(o: &Originator) -> WriteOptions {
    WriteOptions {
        line_ending: if o.line_ending == "none" {
            LineEnding::None
        } else {
            LineEnding::Crlf
        },
    }
}

/// The header record of an originator's 総合振込 (種別 21) file: the originator pays from its
/// collection account.
pub(crate) fn transfer_header(o: &Originator, date: DebitDate) -> Result<TransferHeader, AppError> {
    Ok(TransferHeader {
        originator_code: OriginatorCode::new(&o.code).map_err(internal)?,
        originator_name: OriginatorName::new(&o.name_kana).map_err(internal)?,
        transfer_date: date,
        bank_code: BankCode::new(&o.bank_code).map_err(internal)?,
        bank_name: BankName::new(&o.bank_name_kana).map_err(internal)?,
        branch_code: BranchCode::new(&o.branch_code).map_err(internal)?,
        branch_name: BankName::new(&o.branch_name_kana).map_err(internal)?,
        account_type: if o.account_type == "current" {
            TransferAccountType::Current
        } else {
            TransferAccountType::Ordinary
        },
        account_number: AccountNumber::new(&o.account_number).map_err(internal)?,
    })
}

/// A transfer record to a payout's payee account (amount and customer code filled in by the
/// caller); None when the stored account cannot be written.
pub(crate) fn transfer_record_to(a: &PayeeAccount) -> Option<TransferRecord> {
    Some(TransferRecord {
        bank_code: BankCode::new(&a.bank_code).ok()?,
        bank_name: BankName::default(),
        branch_code: BranchCode::new(&a.branch_code).ok()?,
        branch_name: BankName::default(),
        clearing_house: None,
        account_type: match a.account_type.as_str() {
            "current" | "2" => TransferAccountType::Current,
            "savings" | "4" => TransferAccountType::Savings,
            _ => TransferAccountType::Ordinary,
        },
        account_number: AccountNumber::new(&a.account_number).ok()?,
        payee_name: HolderName::new(&a.holder_kana).ok()?,
        amount: 0,
        new_code: NewCode::Other,
        customer_code1: None,
        customer_code2: None,
        category: Some(TransferCategory::Telegraphic),
    })
}

/// A finished file in `out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    pub path: PathBuf,
    /// SHA-256 of the bytes, hex (recorded and audited, so a rewrite can be checked).
    pub sha256: String,
}

/// Writes `bytes` as `out/name` through a temporary file renamed into place, so the bank's
/// transfer never picks up half a file. The file and the folder are fsynced before this returns,
/// so what the caller then records is on disk (issue #15 item 7). A file already there with
/// other bytes may have been delivered: it is never replaced (`request_file_differs`).
pub(crate) fn place_file(out: &Path, name: &str, bytes: &[u8]) -> Result<Placed, AppError> {
    use std::io::Write;
    let sha256 = sha256_hex(bytes);
    let path = out.join(name);
    match std::fs::read(&path) {
        Ok(existing) if sha256_hex(&existing) == sha256 => return Ok(Placed { path, sha256 }),
        Ok(_) => return Err(differs(name)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(internal(e)),
    }
    let tmp = out.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(internal)?;
    f.write_all(bytes).map_err(internal)?;
    f.sync_all().map_err(internal)?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(internal)?;
    std::fs::File::open(out)
        .and_then(|d| d.sync_all())
        .map_err(internal)?;
    Ok(Placed { path, sha256 })
}

/// A rebuilt file whose bytes differ from the one written (and perhaps delivered) before.
pub(crate) fn differs(name: &str) -> AppError {
    AppError::conflict(
        "request_file_differs",
        format!(
            "{name} はすでに作成済みで、作り直した内容と一致しません。送信済みのファイルを置き換えないよう、処理を中止しました。"
        ),
    )
}
