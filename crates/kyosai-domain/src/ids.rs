//! Row ids: one type per table whose rows other code refers to, so that an application's id can
//! never be passed where a contract's is expected (issue #8).
//!
//! An id is the database's identity column and nothing more: it is not a business number (the
//! 9-digit 共済契約者番号 a member reads is [`crate::ContractNumber`]) and carries no arithmetic.
//! Each type is the plain `i64` on every boundary, so nothing outside the Rust types changes:
//!
//! - JSON (API bodies, audit before/after, stored payloads) and URL path segments and form fields
//!   (through serde) read and write the bare number (`#[serde(transparent)]`);
//! - `Display` and `Debug` print the bare number (audit targets such as `contract:42`, links,
//!   file names, log fields); width and fill pass through (`M{outbox_id:08}`);
//! - with the `sqlx` feature (enabled by `kyosai-store` only) an id binds and decodes as the
//!   BIGINT column it is, so the store reads rows straight into typed fields. The impls delegate
//!   to `i64` for every sqlx database rather than naming `Any`, so an id goes wherever an `i64`
//!   goes, with no driver code here.
//!
//! The OpenAPI document keeps the ids as plain `integer`/`int64` properties: an API type marks
//! each id field `#[schema(value_type = i64)]` (`Option<i64>`, `Vec<i64>` likewise). The ids
//! deliberately do not implement `utoipa::ToSchema`, so a field that lacks the attribute is a
//! compile error rather than a silently different document (the derive would turn it into a
//! `$ref` to a component per id, and a nullable one into a `oneOf`).
//!
//! Many columns name a `users` row in a role (the member, the staff user who decided, the
//! operator who keyed a form): they are all [`UserId`], because the role belongs to the user
//! row, not to the id, and the access checks compare them with the acting user's id.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id of the row with this identity value (as read from a database, a URL or a
            /// file).
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            /// The identity value, for what is not typed: a counter, a file name, an outside
            /// format.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        /// The bare number, like `Display`: `#[tracing::instrument]` records arguments with
        /// `Debug`, and the logs read the same as when ids were plain integers.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// The decimal number, as in a URL or a form field.
        impl FromStr for $name {
            type Err = ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            i64: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            i64: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }

            fn produces(&self) -> Option<DB::TypeInfo> {
                <i64 as sqlx::Encode<'q, DB>>::produces(&self.0)
            }

            fn size_hint(&self) -> usize {
                <i64 as sqlx::Encode<'q, DB>>::size_hint(&self.0)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            i64: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <i64 as sqlx::Decode<'r, DB>>::decode(value).map($name)
            }
        }
    )*};
}

ids! {
    /// A `users` row: a member, a staff user, an agency user or a service account.
    UserId;
    /// An `agencies` row (委託機関).
    AgencyId;
    /// An `applications` row: one procedure as submitted (加入, 口座変更, 請求, …).
    ApplicationId;
    /// A `contracts` row (not its 共済契約者番号, which is [`crate::ContractNumber`]).
    ContractId;
    /// A `mandates` row: one debit account of a contract.
    MandateId;
    /// An `outbox` row: one mail waiting for delivery.
    OutboxId;
    /// A `notices` row: one message in a member's inbox.
    NoticeId;
    /// An `evidence` row: one uploaded document.
    EvidenceId;
    /// A `billing_runs` row: one program's month of direct debits.
    BillingRunId;
    /// A `billing_originators` row: one 委託者 (originator) code at one bank.
    OriginatorId;
    /// A `bill_lines` row: one premium debit of a contract in a run.
    BillLineId;
    /// A `result_imports` row: one bank result file posted.
    ResultImportId;
    /// A `termination_candidates` row: a contract proposed for 機構解約.
    CandidateId;
    /// A `payment_slips` row: one 納付書 (payment slip) for months in arrears.
    PaymentSlipId;
    /// A `payment_imports` row: one 納付書 payment file posted.
    PaymentImportId;
    /// A `prepayments` row: one 前納 received.
    PrepaymentId;
    /// A `prepayment_discounts` row: one fiscal year's 前納減額金 of a contract.
    DiscountId;
    /// A `payouts` row: one payment to a member.
    PayoutId;
    /// A `payout_runs` row: one day's 総合振込 of scheduled payouts.
    PayoutRunId;
    /// A `payout_return_imports` row: one bank file of transfers that could not be credited.
    ReturnImportId;
    /// A `documents` row: one issued document (certificate, letter).
    DocumentId;
    /// A `paper_batches` row: one scanned batch of paper forms.
    PaperBatchId;
    /// A `paper_forms` row: one paper form being keyed.
    PaperFormId;
    /// A `claims` row: one benefit claim.
    ClaimId;
    /// A `loans` row (一時貸付金, 共済金貸付, 契約者貸付).
    LoanId;
    /// A `loan_bill_lines` row: one loan repayment debit in a billing run.
    LoanBillLineId;
    /// A `contract_details` row: one version of a contract's registered details.
    DetailsId;
    /// An `inquiries` row: one call logged by the contact center.
    InquiryId;
    /// A `caller_checks` row: one identity check of a caller.
    CallerCheckId;
    /// A `billing_ledger` row: one entry of a contract's premium ledger.
    LedgerEntryId;
    /// A `cancellation_refunds` row: the refund decided when a contract ended.
    RefundId;
    /// A `rule_set_stagings` row: a rule set waiting for its approver.
    StagingId;
    /// A `second_factor_resets` row: a member's TOTP reset awaiting a second staff user.
    FactorResetId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_the_bare_number_in_json_text_and_urls() {
        let id = ContractId::new(42);
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        assert_eq!(serde_json::from_str::<ContractId>("42").ok(), Some(id));
        assert_eq!(id.to_string(), "42");
        // Width and fill pass through: mail references are `M{outbox_id:08}`.
        assert_eq!(format!("M{:08}", OutboxId::new(42)), "M00000042");
        assert_eq!(format!("{id:?}"), "42");
        assert_eq!("42".parse::<ContractId>(), Ok(id));
        assert!("4x".parse::<ContractId>().is_err());
        assert_eq!(id.get(), 42);
    }
}
