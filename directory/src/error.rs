//! The directory's own error codes (beside the spec's §4 codes, which the core owns): a
//! name that matches no account or several, a source that cannot be read or understood, and
//! a fact given both by the directory and by hand.

use std::fmt;

/// Why a directory could not be read or a named request not filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A name (account, UPN, SPN, SID) matches no account of the directory.
    AccountNotFound,
    /// A name matches several accounts (or an SPN is registered on several: the KDC cannot
    /// choose either).
    AccountAmbiguous,
    /// The source is unreadable or malformed: named by file and JSON path. Never read as
    /// "no delegation".
    DirectoryInvalid,
    /// A request gives a field explicitly that the directory fills from a named account.
    DirectoryConflict,
    /// A live directory cannot be read: host unreachable, TLS failure, bind refused, a
    /// search failed or timed out. Never answered with a decision from missing facts.
    DirectoryUnavailable,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 5] = [
        ErrorCode::AccountNotFound,
        ErrorCode::AccountAmbiguous,
        ErrorCode::DirectoryInvalid,
        ErrorCode::DirectoryConflict,
        ErrorCode::DirectoryUnavailable,
    ];

    /// The stable wire name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::AccountNotFound => "account-not-found",
            ErrorCode::AccountAmbiguous => "account-ambiguous",
            ErrorCode::DirectoryInvalid => "directory-invalid",
            ErrorCode::DirectoryConflict => "directory-conflict",
            ErrorCode::DirectoryUnavailable => "directory-unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A directory error: its code and a message that names the file, JSON path, field or name
/// concerned and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong, for a person.
    pub message: String,
}

impl Error {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// A `directory-invalid` error.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::DirectoryInvalid, message)
    }

    /// The `{"error":{"code","message"}}` object, the same shape as the spec's errors.
    #[must_use]
    pub fn to_value(&self) -> onbehalf_core::json::Value {
        onbehalf_core::json::error_object(self.code.name(), self.message.clone())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// Every fallible directory operation.
pub type Result<T> = std::result::Result<T, Error>;
