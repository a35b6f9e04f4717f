//! The rule book in use, replaceable while the server runs: loading a rule file (CLI or staff
//! screen) or noticing one loaded by another instance swaps in a new book; a use case keeps the
//! book it started with ([`Rules::book`]), so one computation never mixes two versions.

use std::sync::{Arc, PoisonError, RwLock};

use jiff::civil::Date;
use kyosai_domain::Program;
use kyosai_domain::rules::{RuleBook, RuleSet, SafetyNetRules, SmallEnterpriseRules};

use crate::AppError;

#[derive(Clone)]
pub struct Rules {
    current: Arc<RwLock<Arc<RuleBook>>>,
}

impl Rules {
    pub fn new(book: RuleBook) -> Rules {
        Rules {
            current: Arc::new(RwLock::new(Arc::new(book))),
        }
    }

    /// The book in use now.
    pub fn book(&self) -> Arc<RuleBook> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The version in force for `program` on `date` in the book in use now.
    pub fn in_force(&self, program: Program, date: Date) -> Option<Arc<RuleSet>> {
        self.book().shared_in_force(program, date).cloned()
    }

    /// Makes `book` the one every later use case sees.
    pub(crate) fn replace(&self, book: RuleBook) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(book);
    }
}

/// The 小規模企業共済 section of a rule set (an internal error when a 小規模 procedure meets
/// another program's set).
pub(crate) fn small_enterprise(rules: &RuleSet) -> Result<&SmallEnterpriseRules, AppError> {
    rules.small_enterprise.as_ref().ok_or_else(|| {
        AppError::Internal(format!("{}: no small_enterprise rules", rules.id).into())
    })
}

/// The 経営セーフティ共済 section of a rule set.
pub(crate) fn safety_net(rules: &RuleSet) -> Result<&SafetyNetRules, AppError> {
    rules
        .safety_net
        .as_ref()
        .ok_or_else(|| AppError::Internal(format!("{}: no safety_net rules", rules.id).into()))
}
