use crate::db::DbError;

/// What can go wrong managing the directory, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The actor may not make this change (privilege rules, not input).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for AccountError {
    fn from(error: DbError) -> Self {
        AccountError::Db(error)
    }
}

/// A refused password is bad input, worded for the person choosing it.
impl From<super::password_policy::PolicyViolation> for AccountError {
    fn from(violation: super::password_policy::PolicyViolation) -> Self {
        AccountError::Invalid(violation.to_string())
    }
}

/// Maps a uniqueness conflict to a readable duplicate error.
pub(crate) fn duplicate_as(what: impl Into<String>) -> impl FnOnce(DbError) -> AccountError {
    let what = what.into();
    move |error| match error {
        DbError::Conflict => AccountError::Duplicate(what),
        other => AccountError::Db(other),
    }
}
