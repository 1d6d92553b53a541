//! The shape of input: use-case inputs derive `validator::Validate`, and this module holds the
//! checks they name and turns what fails into field errors. Each rule is defined once: the
//! custom checks below call the domain's own definitions (a password's length, a username's
//! characters); business rules stay in the aggregates.

use crate::error::Error;
use convene_domain::account::{normalise_email, validate_locale, validate_password};
use convene_domain::profile::{normalise_display_name, normalise_summary, validate_username};
use convene_domain::FieldError;
use std::borrow::Cow;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

/// Checks `input`'s shape; every invalid field is named at once, in the order the input
/// declares its fields (the order of a form).
pub fn validate<'de, T: Validate + serde::Deserialize<'de>>(input: &T) -> Result<(), Error> {
    let Err(errors) = input.validate() else {
        return Ok(());
    };
    let order = serde_aux::serde_introspection::serde_introspect::<T>();
    let mut found = field_errors(&errors);
    found.sort_by_key(|e| {
        order
            .iter()
            .position(|name| *name == e.field)
            .unwrap_or(order.len())
    });
    Err(Error::Invalid(found))
}

fn refused(message: String) -> ValidationError {
    ValidationError::new("invalid").with_message(Cow::Owned(message))
}

pub fn email(value: &str) -> Result<(), ValidationError> {
    normalise_email(value)
        .map(drop)
        .map_err(|e| refused(e.message))
}

pub fn password(value: &str) -> Result<(), ValidationError> {
    validate_password(value).map_err(|e| refused(e.message))
}

pub fn locale(value: &str) -> Result<(), ValidationError> {
    validate_locale(value).map_err(|e| refused(e.message))
}

pub fn username(value: &str) -> Result<(), ValidationError> {
    validate_username(value.trim()).map_err(|e| refused(e.to_string()))
}

pub fn display_name(value: &str) -> Result<(), ValidationError> {
    normalise_display_name(value)
        .map(drop)
        .map_err(|e| refused(e.to_string()))
}

pub fn summary(value: &str) -> Result<(), ValidationError> {
    normalise_summary(value)
        .map(drop)
        .map_err(|e| refused(e.to_string()))
}

/// An RFC 3339 time.
pub fn timestamp(value: &str) -> Result<(), ValidationError> {
    convene_domain::metadata::parse_timestamp(value)
        .map(drop)
        .map_err(|_| {
            refused(format!(
                "`{value}` is not an RFC 3339 time such as 2026-12-01T00:00:00Z"
            ))
        })
}

/// Every failure as a field error, named by its path (`address.latitude`, `links[2].url`),
/// sorted by field.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut found = Vec::new();
    collect(errors, "", &mut found);
    found.sort_by(|a, b| a.field.cmp(&b.field));
    found
}

fn collect(errors: &ValidationErrors, prefix: &str, found: &mut Vec<FieldError>) {
    for (name, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(failures) => {
                found.extend(failures.iter().map(|failure| {
                    FieldError {
                        field: path.clone(),
                        message: failure
                            .message
                            .as_ref()
                            .map_or_else(|| format!("{path} is not valid"), |m| m.to_string()),
                    }
                }));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, found),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Validate, serde::Deserialize)]
    struct Sample {
        #[validate(range(min = 1, max = 100, message = "per_page is 1 to 100"))]
        per_page: i64,
        #[validate(custom(function = "email"))]
        email: String,
        #[validate(custom(function = "password"))]
        password: String,
    }

    #[test]
    fn every_invalid_field_is_named_with_what_to_fix() {
        let sample = Sample {
            email: "nope".into(),
            password: "short".into(),
            per_page: 0,
        };
        let errors = validate(&sample).err().map(|e| e.field_errors());
        let errors = errors.unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["per_page", "email", "password"],
            "the declared order"
        );
        assert_eq!(errors[0].message, "per_page is 1 to 100");
        assert_eq!(
            errors[1].message,
            "enter an email address such as ana@example.org"
        );
        let good = Sample {
            email: "ana@example.org".into(),
            password: "correct horse battery".into(),
            per_page: 20,
        };
        assert!(validate(&good).is_ok());
    }
}
