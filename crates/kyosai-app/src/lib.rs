//! Kyosai's use cases. Each takes typed input, runs in one transaction (rules + store + audit +
//! outbox) and returns typed output; the web and CLI layers only translate.

mod access_log;
pub mod account_recovery;
pub mod arrears;
pub mod auth;
mod background;
pub mod bank_account;
pub mod bankruptcy_loan;
pub mod billing;
pub mod calculator_prefill;
pub mod caller;
pub mod cancellation;
pub mod capability;
pub mod certificates;
pub mod claims;
pub mod clock;
pub mod contact_center;
pub mod contract_status;
pub mod details_change;
pub mod dev;
pub mod documents;
pub mod enrollment;
pub mod error;
pub mod evidence;
mod form_parser;
pub mod inbox;
pub mod integrity;
pub mod ja_text;
pub mod letters;
pub mod loan_book;
pub mod loan_early_repayment;
pub mod loans;
pub mod login_guard;
pub mod mail;
pub mod mandate_change;
pub mod mass_issue;
pub mod member_loan;
pub mod metrics;
pub mod paper;
pub mod password_policy;
pub mod payment_files;
pub mod payment_frequency;
pub mod payment_status;
pub mod payouts;
pub mod pdf_documents;
pub mod premium_change;
pub mod premium_deferral;
pub mod prepayment;
pub mod prepayment_application;
pub mod procedure;
pub mod reference_data;
pub mod review;
pub mod rule_staging;
pub mod rules;
pub mod rules_admin;
pub mod scorecard;
pub mod security_admin;
mod special_measures;
pub mod staff_time;
pub mod survey;
pub mod suspension;
pub mod termination;
pub mod token_admin;
pub mod views;
mod zengin_files;

use std::sync::Arc;

use kyosai_domain::rules::RuleBook;
use kyosai_domain::{BusinessCalendar, UserId};
use kyosai_store::Store;

pub use clock::Clock;
pub use error::AppError;
pub use rules::Rules;

/// Everything a use case needs, shared by all requests.
#[derive(Clone)]
pub struct App {
    /// Private: the web and CLI go through use cases and views, never through store rows.
    store: Store,
    pub rules: Rules,
    pub calendar: Arc<BusinessCalendar>,
    pub clock: Clock,
    /// Base URL used in links sent by mail (`http://127.0.0.1:8080`).
    pub public_url: String,
    /// Where uploaded evidence is stored and how large it may be.
    pub evidence: evidence::EvidenceConfig,
    /// This process's counters and latency histograms (`/metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// The key that signs the e-Tax XML of certificates (issue #13); None: no XML is offered.
    signing: Option<Arc<kyosai_docs::etax::SigningKey>>,
    /// The PDF renderer, made on the first PDF asked for and shared by every clone.
    pdf: Arc<pdf_documents::PdfRenderer>,
}

impl App {
    /// An app over `store` with the embedded rule sets and the real holiday calendar.
    pub fn new(store: Store, clock: Clock, public_url: impl Into<String>) -> Result<App, AppError> {
        let rules = RuleBook::embedded().map_err(|e| AppError::Internal(e.into()))?;
        Ok(App {
            store,
            rules: Rules::new(rules),
            calendar: Arc::new(BusinessCalendar::new(
                kyosai_refdata::holidays().iter().copied(),
            )),
            clock,
            public_url: public_url.into(),
            evidence: evidence::EvidenceConfig::default(),
            metrics: Arc::default(),
            signing: None,
            pdf: Arc::default(),
        })
    }

    /// Answers when the database does (for /healthz).
    pub async fn ping(&self) -> Result<(), AppError> {
        Ok(self.store.ping().await?)
    }

    /// Whether this instance can serve (for /readyz): the database answers, accepts writes and
    /// has exactly the migrations this binary carries.
    pub async fn readiness(&self) -> Result<(), kyosai_store::health::NotReady> {
        self.store.readiness().await
    }

    /// Copies the SQLite WAL into the database file (no-op on PostgreSQL); the server calls it
    /// in the background so requests do not pay for checkpoints.
    pub async fn checkpoint(&self) -> Result<(), AppError> {
        Ok(self.store.checkpoint().await?)
    }

    /// Closes the database connections (end of a CLI command).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The store, for the use-case integration tests only (they look into tables the use cases
    /// wrote). Production code never calls this.
    #[doc(hidden)]
    pub fn store_for_tests(&self) -> &Store {
        &self.store
    }
}

/// Who performs a use case, for authorization and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
}

impl Actor {
    /// Kyosai itself, in the mailings an operator starts from the command line (the mass
    /// issues): it reads every contract as staff do; no user has id 0.
    pub(crate) fn system() -> Actor {
        Actor {
            user_id: UserId::new(0),
            role: Role::Staff,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Staff,
    Agency,
    DataEntry,
    Service,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "staff" => Some(Role::Staff),
            "agency" => Some(Role::Agency),
            "data_entry" => Some(Role::DataEntry),
            "service" => Some(Role::Service),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Staff => "staff",
            Role::Agency => "agency",
            Role::DataEntry => "data_entry",
            Role::Service => "service",
        }
    }
}

impl Actor {
    pub fn audit_name(&self) -> String {
        format!("user:{}", self.user_id)
    }
}
