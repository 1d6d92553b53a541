//! draft-cavage-http-signatures, as the fediverse uses it: `Signature: keyId="…",
//! algorithm="rsa-sha256",headers="(request-target) host date digest",signature="…"`.

use super::digest::check_digest;
use super::{
    check_key_id, has_body, header_values, within, Form, Received, SignatureError, SignedRequest,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{HeaderMap, Method};
use std::time::{Duration, SystemTime};

/// What we sign on a POST, in Mastodon's order.
pub const POST_HEADERS: &[&str] = &["(request-target)", "host", "date", "digest", "content-type"];
/// What we sign on a GET.
pub const GET_HEADERS: &[&str] = &["(request-target)", "host", "date"];

pub fn parse(
    request: &Received<'_>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<SignedRequest, SignatureError> {
    let header = header_values(request.headers, "signature").ok_or(SignatureError::Unsigned)?;
    let params = parameters(&header)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    let key_id = get("keyId").ok_or(SignatureError::Malformed("no keyId"))?;
    check_key_id(key_id)?;
    // hs2019 leaves the algorithm to the key, and the keys we accept are RSA.
    match get("algorithm") {
        None => {}
        Some(a) if a.eq_ignore_ascii_case("rsa-sha256") || a.eq_ignore_ascii_case("hs2019") => {}
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(other.to_string())),
    }
    let signature = STANDARD
        .decode(get("signature").ok_or(SignatureError::Malformed("no signature"))?)
        .map_err(|_| SignatureError::Malformed("the signature is not base64"))?;
    // Without `headers`, the draft signs the date alone, which is refused below.
    let names: Vec<String> = get("headers")
        .unwrap_or("date")
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let covers = |name: &str| names.iter().any(|n| n == name);
    for required in ["(request-target)", "host", "date"] {
        if !covers(required) {
            return Err(SignatureError::NotCovered(required));
        }
    }
    if has_body(request) && !covers("digest") {
        return Err(SignatureError::NotCovered("digest"));
    }

    let target = request
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let signing_string = signing_string(request.method, &target, request.headers, &names)?;

    // `date` is covered, so it is present: signing_string would have failed otherwise.
    let date = header_values(request.headers, "date").unwrap_or_default();
    let date = httpdate::parse_http_date(&date).map_err(|_| SignatureError::BadDate)?;
    within(date, now, max_skew)?;
    match header_values(request.headers, "digest") {
        Some(digest) => check_digest(&digest, request.body)?,
        None if has_body(request) => return Err(SignatureError::MissingDigest),
        None => {}
    }

    Ok(SignedRequest {
        form: Form::Cavage,
        key_id: key_id.to_string(),
        signing_string,
        signature,
    })
}

/// The string signed over `names`: one `name: value` line each, `(request-target)` being the
/// lower-case method and the target as sent.
pub fn signing_string(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    names: &[&str],
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(names.len());
    for name in names {
        let value = if *name == "(request-target)" {
            format!("{} {target}", method.as_str().to_ascii_lowercase())
        } else {
            header_values(headers, name)
                .ok_or_else(|| SignatureError::MissingHeader(name.to_string()))?
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// The `Signature` header for a signature over `names`.
pub fn signature_header(key_id: &str, names: &[&str], signature: &[u8]) -> String {
    format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
        names.join(" "),
        STANDARD.encode(signature)
    )
}

/// The `key="value"` (or `key=value`) pairs of a `Signature` header, separated by commas.
fn parameters(header: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut params = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or(SignatureError::Malformed("a parameter without a value"))?;
        let key = key.trim().to_string();
        let after = after.trim_start();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or(SignatureError::Malformed("an unterminated quoted value"))?;
            (value, &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.push((key, value));
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None if rest.is_empty() => {}
            None => {
                return Err(SignatureError::Malformed(
                    "parameters not separated by commas",
                ))
            }
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_quoted_and_bare() {
        let params = parameters(
            r#"keyId="https://a.example/u#main-key", algorithm=hs2019 ,headers="(request-target) host",signature="ab\"c=""#,
        )
        .expect("parses");
        assert_eq!(
            params,
            vec![
                ("keyId".into(), "https://a.example/u#main-key".into()),
                ("algorithm".into(), "hs2019".into()),
                ("headers".into(), "(request-target) host".into()),
                ("signature".into(), "ab\"c=".into()),
            ]
        );
        assert!(parameters(r#"keyId="unterminated"#).is_err());
        assert!(parameters("keyId").is_err());
    }
}
