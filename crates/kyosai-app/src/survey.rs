//! The survey after each completed procedure (issue #14, REFERENCE §9.4: web surveys split into
//! online and non-online users): satisfaction 1–5 and free text, reached by a short code
//! (`/s/{code}`) linked from the completion page online and printed on the paper completion
//! letter. The code is the only credential: anyone holding it may answer once, and learns
//! nothing about the member from it.

use kyosai_domain::{ApplicationId, FieldError, Procedure, Program};
use kyosai_store::surveys;
use rand::Rng;
use serde::Serialize;

use crate::{Actor, App, AppError};

/// Without 0/O, 1/I/L: read from paper and typed by hand.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 8;
/// Free text longer than this is refused (a field, not a letter).
pub const MAX_COMMENT_CHARS: usize = 1000;

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Codes are typed in upper case; members may type lower case or with spaces.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the survey page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyView {
    pub code: String,
    pub program: Program,
    pub procedure: Procedure,
    pub answered: bool,
}

/// The survey code of an application, made on first request (in the caller's transaction: the
/// paper completion letter prints it).
pub(crate) async fn survey_code_in(
    conn: &mut sqlx::AnyConnection,
    application_id: ApplicationId,
    now: &str,
) -> Result<String, AppError> {
    if let Some(code) = surveys::code_for(conn, application_id).await? {
        return Ok(code);
    }
    // 31^8 ≈ 8.5·10^11 codes: a clash is rare; draw again when it happens.
    for _ in 0..8 {
        let code = new_code();
        if surveys::insert(conn, application_id, &code, now).await? {
            return Ok(code);
        }
    }
    Err(AppError::Internal("no free survey code".into()))
}

impl App {
    /// The survey code of a completed application: its member's own, or any for staff (to print
    /// on the paper completion letter). Issued on first request.
    pub async fn survey_code(
        &self,
        actor: &Actor,
        application_id: ApplicationId,
    ) -> Result<String, AppError> {
        let a = self.application(actor, application_id).await?;
        if a.status != kyosai_domain::ApplicationStatus::Completed {
            return Err(AppError::conflict(
                "not_completed",
                "アンケートは手続きの完了後にご回答いただけます。",
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let code = survey_code_in(tx.conn(), application_id, &self.clock.now_text()).await?;
        tx.commit().await?;
        Ok(code)
    }

    /// The survey behind a code; not found for an unknown code.
    pub async fn survey(&self, code: &str) -> Result<SurveyView, AppError> {
        let mut conn = self.store.read().await?;
        let s = surveys::by_code(&mut conn, &normalize_code(code))
            .await?
            .ok_or(AppError::NotFound)?;
        let (Some(program), Some(procedure)) =
            (Program::parse(&s.program), Procedure::parse(&s.procedure))
        else {
            return Err(AppError::Internal(
                format!("survey {}: bad application", s.code).into(),
            ));
        };
        Ok(SurveyView {
            code: s.code,
            program,
            procedure,
            answered: s.answered,
        })
    }

    /// Records an answer: satisfaction 1–5 (required), free text (optional). Answered once.
    pub async fn answer_survey(
        &self,
        code: &str,
        satisfaction: &str,
        comment: &str,
    ) -> Result<(), AppError> {
        let survey = self.survey(code).await?;
        let mut errors = Vec::new();
        let score = match satisfaction.trim().parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "satisfaction",
                    "required",
                    "満足度を1から5の中から選んでください。",
                ));
                None
            }
        };
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            errors.push(FieldError::new(
                "comment",
                "too_long",
                format!("ご意見は{MAX_COMMENT_CHARS}文字以内で入力してください。"),
            ));
        }
        let Some(score) = score.filter(|_| errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let mut tx = self.store.begin_write().await?;
        let fresh = surveys::answer(
            tx.conn(),
            &survey.code,
            score,
            (!comment.is_empty()).then_some(comment),
            &self.clock.now_text(),
        )
        .await?;
        if !fresh {
            return Err(AppError::conflict(
                "survey_answered",
                "このアンケートには、すでにご回答いただいています。",
            ));
        }
        tx.commit().await?;
        Ok(())
    }
}
