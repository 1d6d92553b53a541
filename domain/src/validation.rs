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
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Sanitises user HTML to a safe subset (no scripts, styles, event handlers or unknown tags),
/// without control characters (they would break feeds and calendars).
pub fn sanitise_html(html: &str) -> String {
    ammonia::clean(&multiline(html))
}

/// How deeply user HTML may nest its elements. Parsing HTML costs time growing with the square
/// of its depth (each new element looks down the stack of open ones), and no description,
/// summary or comment needs more than a few levels.
pub const HTML_DEPTH_MAX: usize = 32;

/// Whether `html`'s elements nest deeper than `max`, found in one pass without parsing, so that
/// deep HTML is refused before the sanitiser spends its time on it.
///
/// The open elements are tracked as a parser would: void elements (`<br>`) and those closed by
/// their next sibling (`<p>`, `<li>`, table cells…) open nothing that lasts, an end tag closes
/// up to the element it names (and is ignored when that is not open), a link opened inside a
/// link closes it, comments are skipped.
pub fn html_deeper_than(html: &str, max: usize) -> bool {
    const FLAT: [&str; 27] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
        "tbody", "tfoot", "rt", "rp",
    ];
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'<') {
        at += found + 1;
        if bytes[at..].starts_with(b"!--") {
            at = html[at..]
                .find("-->")
                .map_or(bytes.len(), |end| at + end + 3);
            continue;
        }
        let closing = bytes.get(at) == Some(&b'/');
        let name_at = at + usize::from(closing);
        let name_len = bytes[name_at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
            continue;
        }
        let name = html[name_at..name_at + name_len].to_ascii_lowercase();
        let end = html[name_at..]
            .find('>')
            .map_or(bytes.len(), |e| name_at + e);
        at = end;
        if FLAT.contains(&name.as_str()) {
            continue;
        }
        if closing {
            // At most `max` elements are open, so this look is short.
            if let Some(index) = open.iter().rposition(|n| *n == name) {
                open.truncate(index);
            }
        } else if !html[..end].ends_with('/') {
            // A link or a button opened inside another closes it first.
            if matches!(name.as_str(), "a" | "button") {
                if let Some(index) = open.iter().rposition(|n| *n == name) {
                    open.truncate(index);
                }
            }
            open.push(name);
            if open.len() > max {
                return true;
            }
        }
    }
    false
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
            "ana\0@example.org",
            "ana@example.org\u{7}",
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
    fn deep_html_is_found_in_one_pass() {
        let deep = |n: usize, tag: &str| format!("<{tag}>x").repeat(n);
        assert!(!html_deeper_than(&deep(32, "div"), 32));
        assert!(html_deeper_than(&deep(33, "div"), 32));
        assert!(html_deeper_than(&deep(33, "B"), 32), "names in any case");
        // Closed, void, self-closed and sibling-closed elements leave nothing open.
        assert!(!html_deeper_than(&"<div><b>x</b></div>".repeat(1000), 32));
        assert!(!html_deeper_than(
            &"<p>x<br><img src=a.png>".repeat(1000),
            32
        ));
        assert!(!html_deeper_than(&"<li>x<span/>".repeat(1000), 32));
        assert!(!html_deeper_than(&"<a href=\"/x\">x".repeat(1000), 32));
        assert!(html_deeper_than(&"<table><tr><td>x".repeat(33), 32));
        // An end tag closes up to its element; a stray one closes nothing.
        assert!(!html_deeper_than(&"<div><b><i>x</div>".repeat(1000), 32));
        assert!(html_deeper_than(&"<div></b>".repeat(33), 32));
        // Comments and text are not elements.
        assert!(!html_deeper_than(&"<!-- <div> -->a < b".repeat(1000), 32));
        assert!(!html_deeper_than("<div", 32));
    }

    #[test]
    fn scripts_and_handlers_are_removed_from_html() {
        let clean =
            sanitise_html(r#"<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>"#);
        assert_eq!(clean, "<p>Hi <b>there</b></p>");
    }
}
