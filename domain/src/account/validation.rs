//! Checks made on what a person typed, before an account command is built (the aggregate only
//! ever sees a password's hash).

use crate::validation::{is_email, FieldError};

pub const PASSWORD_MIN: usize = 10;
/// Longest password accepted (argon2 hashes anything, but a cap bounds the work).
pub const PASSWORD_MAX: usize = 1_000;
pub const LOCALES: [&str; 2] = ["en", "fr"];

/// Checks a password before it is hashed (the aggregate only ever sees hashes).
pub fn validate_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        Ok(())
    } else {
        Err(FieldError {
            field: "password".into(),
            message: format!("a password is at least {PASSWORD_MIN} characters"),
        })
    }
}

/// Checks an email address and returns it normalised (trimmed, lower-case).
pub fn normalise_email(email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(FieldError {
            field: "email".into(),
            message: "enter an email address such as ana@example.org".into(),
        })
    }
}

/// Checks a locale against the languages Convene speaks.
pub fn validate_locale(locale: &str) -> Result<(), FieldError> {
    if LOCALES.contains(&locale) {
        Ok(())
    } else {
        Err(FieldError {
            field: "locale".into(),
            message: format!("a locale is one of {}", LOCALES.join(", ")),
        })
    }
}
