//! Field-level validation errors, shared by every aggregate and shown to clients as they are.

use serde::{Deserialize, Serialize};

/// One invalid field: its name as the client sent it (`address.latitude`) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects field errors while a command is checked.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Adds the error when `ok` is false.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// `Ok(value)` when nothing was added.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// Whether `text` is an absolute http(s) URL.
pub fn is_web_url(text: &str) -> bool {
    url::Url::parse(text)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

/// A plausible email address: one @, something on each side, no spaces, at most 254 bytes.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.len() <= 254
        && !text.chars().any(char::is_whitespace)
}

/// Sanitises user HTML to a safe subset (no scripts, styles, event handlers or unknown tags),
/// without control characters (they would break feeds and calendars).
pub fn sanitise_html(html: &str) -> String {
    ammonia::clean(&multiline(html))
}

/// Whether `text` holds a control character (line breaks included): single-line fields refuse
/// them, since they end up in calendar lines, XML and headers.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// `text` with line breaks as `\n` and every other control character but tabs removed.
pub fn multiline(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(is_web_url("https://pad.example.org/p/meeting"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("/relative"));
        assert!(!is_web_url("ftp://example.org"));
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert!(is_email("ana@example.org"));
        for bad in [
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a na@example.org",
            "a@b@c.org",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn control_characters_are_refused_in_lines_and_removed_from_texts() {
        assert!(has_control("a\nb"));
        assert!(has_control("a\u{7}b"));
        assert!(!has_control("Café à Paris"));
        assert_eq!(multiline("a\r\nb\rc\u{0}d\te"), "a\nbcd\te");
    }

    #[test]
    fn scripts_and_handlers_are_removed_from_html() {
        let clean =
            sanitise_html(r#"<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>"#);
        assert_eq!(clean, "<p>Hi <b>there</b></p>");
    }
}
