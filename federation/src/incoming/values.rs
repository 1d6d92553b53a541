//! Reading JSON as peers write it: one value or a list, an id or an object with an id, a type
//! name or a list of them. Every list is read up to [`LIST_MAX`] items, never further.

use super::Ignored;
use crate::context::PUBLIC_FORMS;
use convene_domain::event::details::Visibility;
use serde_json::Value;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::OffsetDateTime;

/// The most items read from any list (audiences, tags, attachments, locations).
pub const LIST_MAX: usize = 500;

/// The items of a property that holds one value or a list of them.
pub fn items(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    let list: &[Value] = match value {
        None | Some(Value::Null) => &[],
        Some(Value::Array(list)) => list,
        Some(one) => std::slice::from_ref(one),
    };
    list.iter().take(LIST_MAX)
}

/// The `type` of an object: its name, or the first name of a list of them.
pub fn kind(object: &Value) -> Option<&str> {
    items(object.get("type")).find_map(Value::as_str)
}

/// Refuses an object whose `type` is not `expected`.
pub fn expect_kind(object: &Value, expected: &str) -> Result<(), Ignored> {
    match kind(object) {
        Some(found) if found == expected => Ok(()),
        Some(other) => Err(Ignored::UnsupportedObject(other.chars().take(64).collect())),
        None => Err(Ignored::MissingField("type")),
    }
}

/// The id a property names: a string, an object's `id`, or the first of a list of them.
pub fn id_of(value: &Value) -> Option<&str> {
    let first = match value {
        Value::Array(list) => list.first()?,
        one => one,
    };
    match first {
        Value::String(id) => Some(id),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Whether `text` is an absolute http(s) URL with a host: the only ids Convene follows.
pub fn is_web_id(text: &str) -> bool {
    convene_domain::validation::is_web_url(text)
}

/// The http(s) id property `field` of `object` names, or why there is none.
pub fn web_id(object: &Value, field: &'static str) -> Result<String, Ignored> {
    match object.get(field) {
        None | Some(Value::Null) => Err(Ignored::MissingField(field)),
        Some(value) => id_of(value)
            .filter(|id| is_web_id(id))
            .map(str::to_string)
            .ok_or(Ignored::BadId(field)),
    }
}

/// The ids of an audience (`to`, `cc`), whichever way they are written.
pub fn ids(value: Option<&Value>) -> Vec<String> {
    items(value)
        .filter_map(|item| match item {
            Value::String(id) => Some(id.as_str()),
            Value::Object(map) => map.get("id").and_then(Value::as_str),
            _ => None,
        })
        .map(str::to_string)
        .collect()
}

/// Whether an audience holds the public collection, in any of its spellings.
pub fn is_public(audience: &[String]) -> bool {
    audience
        .iter()
        .any(|id| PUBLIC_FORMS.contains(&id.as_str()))
}

/// Who may see an object, from its audience: public in `to`, unlisted in `cc`, else private.
pub fn visibility(to: &[String], cc: &[String]) -> Visibility {
    if is_public(to) {
        Visibility::Public
    } else if is_public(cc) {
        Visibility::Unlisted
    } else {
        Visibility::Private
    }
}

/// A text property: a string, or the first text of a language map (`contentMap`).
pub fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Object(map) => map.values().find_map(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// A trimmed text with something in it.
pub fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// An instant in RFC 3339 or the wider ISO 8601 (an offset is required), in UTC.
pub fn instant(value: Option<&Value>) -> Option<OffsetDateTime> {
    let text = value?.as_str()?.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::DEFAULT))
        .ok()
}

/// A number written as a number or as a string.
pub fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

/// `(scheme, host, port)` of a URL, the host normalised (lower case, IDNA), the port made
/// explicit: two ids share an origin when these are equal.
pub fn origin(id: &str) -> Option<(String, String, u16)> {
    let url = url::Url::parse(id).ok()?;
    Some((
        url.scheme().to_string(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// At most `max` characters of `text` on one line: controls become spaces, and a text cut
/// short ends with an ellipsis.
pub fn line(text: &str, max: usize) -> String {
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}
