//! RFC 9421 HTTP Message Signatures, as Fedify signs first: `Signature-Input: sig1=("@method"
//! "@target-uri" "content-digest" …);created=…;keyid="…";alg="rsa-v1_5-sha256"` and
//! `Signature: sig1=:<base64>:`.
//!
//! Only what the fediverse uses is read: derived components of the request, header fields by
//! name, and no component parameters (`;sf`, `;key`, `;bs`, `;req`), which are refused.

use super::digest::check_content_digest;
use super::{
    check_key_id, has_body, header_values, within, Form, Received, SignatureError, SignedRequest,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One member of `Signature-Input`.
#[derive(Debug, PartialEq)]
struct Input<'a> {
    label: &'a str,
    components: Vec<String>,
    params: Vec<(&'a str, Param)>,
    /// The member's value as sent: the `@signature-params` line repeats it exactly.
    raw: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
enum Param {
    Integer(i64),
    Text(String),
}

pub fn parse(
    request: &Received<'_>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<SignedRequest, SignatureError> {
    let inputs = header_values(request.headers, "signature-input").unwrap_or_default();
    let signatures = header_values(request.headers, "signature").ok_or(
        SignatureError::Malformed("Signature-Input without Signature"),
    )?;
    let inputs = inputs_of(&inputs)?;
    // Of several signatures, the first one we can check is the one checked.
    let input = inputs
        .iter()
        .find(|i| matches!(i.text("alg"), None | Some("rsa-v1_5-sha256")))
        .ok_or_else(|| {
            SignatureError::UnsupportedAlgorithm(
                inputs
                    .first()
                    .and_then(|i| i.text("alg"))
                    .unwrap_or_default()
                    .to_string(),
            )
        })?;
    let signature = signature_of(&signatures, input.label)?;
    let key_id = input
        .text("keyid")
        .ok_or(SignatureError::Malformed("no keyid"))?;
    check_key_id(key_id)?;

    let covers = |name: &str| input.components.iter().any(|c| c == name);
    if !covers("@method") {
        return Err(SignatureError::NotCovered("@method"));
    }
    let target_covered = covers("@target-uri") || (covers("@authority") && covers("@path"));
    if !target_covered {
        return Err(SignatureError::NotCovered("@target-uri"));
    }
    if has_body(request) && !covers("content-digest") {
        return Err(SignatureError::NotCovered("content-digest"));
    }

    let mut lines = Vec::with_capacity(input.components.len() + 1);
    for name in &input.components {
        lines.push(format!("\"{name}\": {}", component(request, name)?));
    }
    lines.push(format!("\"@signature-params\": {}", input.raw));
    let signing_string = lines.join("\n");

    match (input.integer("created"), covers("date")) {
        (Some(created), _) => within(epoch(created), now, max_skew)?,
        (None, true) => {
            let date = header_values(request.headers, "date").unwrap_or_default();
            let date = httpdate::parse_http_date(&date).map_err(|_| SignatureError::BadDate)?;
            within(date, now, max_skew)?;
        }
        (None, false) => return Err(SignatureError::NotCovered("created")),
    }
    if let Some(expires) = input.integer("expires") {
        if epoch(expires) < now {
            return Err(SignatureError::Expired);
        }
    }
    match header_values(request.headers, "content-digest") {
        Some(digest) => check_content_digest(&digest, request.body)?,
        None if has_body(request) => return Err(SignatureError::MissingDigest),
        None => {}
    }

    Ok(SignedRequest {
        form: Form::Rfc9421,
        key_id: key_id.to_string(),
        signing_string,
        signature,
    })
}

fn epoch(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

/// The value of one covered component (RFC 9421 §2.1 and §2.2).
fn component(request: &Received<'_>, name: &str) -> Result<String, SignatureError> {
    let path_and_query = request.uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = || {
        request
            .uri
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| header_values(request.headers, "host"))
            .map(|a| a.to_ascii_lowercase())
            .ok_or_else(|| SignatureError::MissingHeader("host".into()))
    };
    let scheme = request
        .uri
        .scheme_str()
        .unwrap_or(request.scheme)
        .to_ascii_lowercase();
    Ok(match name {
        "@method" => request.method.as_str().to_string(),
        "@target-uri" => format!("{scheme}://{}{path_and_query}", authority()?),
        "@authority" => authority()?,
        "@scheme" => scheme,
        "@request-target" => path_and_query.to_string(),
        "@path" => match request.uri.path() {
            "" => "/".to_string(),
            path => path.to_string(),
        },
        "@query" => format!("?{}", request.uri.query().unwrap_or_default()),
        derived if derived.starts_with('@') => {
            return Err(SignatureError::Malformed(
                "an unsupported derived component",
            ))
        }
        field => header_values(request.headers, field)
            .ok_or_else(|| SignatureError::MissingHeader(field.to_string()))?,
    })
}

impl Input<'_> {
    fn text(&self, key: &str) -> Option<&str> {
        self.params.iter().find_map(|(k, v)| match v {
            Param::Text(text) if *k == key => Some(text.as_str()),
            _ => None,
        })
    }

    fn integer(&self, key: &str) -> Option<i64> {
        self.params.iter().find_map(|(k, v)| match v {
            Param::Integer(n) if *k == key => Some(*n),
            _ => None,
        })
    }
}

const MALFORMED_INPUT: SignatureError = SignatureError::Malformed("Signature-Input");

/// The members of a `Signature-Input` dictionary (RFC 8941 §3.2), each an inner list of
/// strings with parameters.
fn inputs_of(header: &str) -> Result<Vec<Input<'_>>, SignatureError> {
    let mut inputs = Vec::new();
    let mut cursor = Cursor {
        text: header,
        at: 0,
    };
    loop {
        cursor.skip_spaces();
        let label = cursor.key()?;
        cursor.expect('=')?;
        let start = cursor.at;
        cursor.expect('(')?;
        let mut components = Vec::new();
        loop {
            cursor.skip_spaces();
            if cursor.eat(')') {
                break;
            }
            components.push(cursor.string()?);
            if cursor.peek() == Some(';') {
                return Err(SignatureError::Malformed(
                    "component parameters are not supported",
                ));
            }
        }
        let mut params = Vec::new();
        while cursor.eat(';') {
            let key = cursor.key()?;
            cursor.expect('=')?;
            let value = match cursor.peek() {
                Some('"') => Param::Text(cursor.string()?),
                _ => Param::Integer(cursor.integer()?),
            };
            params.push((key, value));
        }
        inputs.push(Input {
            label,
            components,
            params,
            raw: &header[start..cursor.at],
        });
        cursor.skip_spaces();
        if cursor.peek().is_none() {
            return Ok(inputs);
        }
        cursor.expect(',')?;
    }
}

/// The byte sequence labelled `label` in a `Signature` dictionary.
fn signature_of(header: &str, label: &str) -> Result<Vec<u8>, SignatureError> {
    for member in header.split(',') {
        let Some((key, value)) = member.trim().split_once('=') else {
            continue;
        };
        if key.trim() != label {
            continue;
        }
        let value = value.trim().split(';').next().unwrap_or_default();
        let inner = value
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
            .ok_or(SignatureError::Malformed(
                "the signature is not a byte sequence",
            ))?;
        return STANDARD
            .decode(inner)
            .map_err(|_| SignatureError::Malformed("the signature is not base64"));
    }
    Err(SignatureError::Malformed(
        "no signature for the Signature-Input label",
    ))
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), SignatureError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(MALFORMED_INPUT)
        }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.at += 1;
        }
    }

    /// A key: lower-case letters, digits, `_`, `-`, `.`, `*`.
    fn key(&mut self) -> Result<&'a str, SignatureError> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some('a'..='z' | '0'..='9' | '_' | '-' | '.' | '*')
        ) {
            self.at += 1;
        }
        if self.at == start {
            return Err(MALFORMED_INPUT);
        }
        Ok(&self.text[start..self.at])
    }

    /// A string: `"…"` with `\"` and `\\` escapes.
    fn string(&mut self) -> Result<String, SignatureError> {
        self.expect('"')?;
        let mut value = String::new();
        loop {
            let c = self.peek().ok_or(MALFORMED_INPUT)?;
            self.at += c.len_utf8();
            match c {
                '"' => return Ok(value),
                '\\' => {
                    let escaped = self.peek().ok_or(MALFORMED_INPUT)?;
                    self.at += escaped.len_utf8();
                    value.push(escaped);
                }
                c => value.push(c),
            }
        }
    }

    fn integer(&mut self) -> Result<i64, SignatureError> {
        let start = self.at;
        if self.peek() == Some('-') {
            self.at += 1;
        }
        while matches!(self.peek(), Some('0'..='9')) {
            self.at += 1;
        }
        self.text[start..self.at]
            .parse()
            .map_err(|_| MALFORMED_INPUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_input_of_rfc_9421_section_4_1() {
        let header = r#"sig1=("@method" "@authority" "@path" "content-digest" "content-length" "content-type");created=1618884473;keyid="test-key-rsa-pss""#;
        let inputs = inputs_of(header).expect("parses");
        assert_eq!(inputs.len(), 1);
        let input = &inputs[0];
        assert_eq!(input.label, "sig1");
        assert_eq!(
            input.components,
            [
                "@method",
                "@authority",
                "@path",
                "content-digest",
                "content-length",
                "content-type"
            ]
        );
        assert_eq!(input.integer("created"), Some(1618884473));
        assert_eq!(input.text("keyid"), Some("test-key-rsa-pss"));
        assert_eq!(input.raw, &header["sig1=".len()..]);
    }

    #[test]
    fn several_members_and_refusals() {
        let inputs = inputs_of(r#"a=("@method");alg="ed25519", b=("@method" "date");keyid="k""#)
            .expect("parses");
        assert_eq!(inputs[1].label, "b");
        assert_eq!(inputs[1].raw, r#"("@method" "date");keyid="k""#);
        assert!(inputs_of(r#"a=("signature";key="sig1")"#).is_err());
        assert!(inputs_of(r#"a=("@method""#).is_err());
        assert!(inputs_of("a=@method").is_err());
        assert_eq!(
            signature_of("x=:AAAA:, sig1=:AQID:", "sig1"),
            Ok(vec![1, 2, 3])
        );
        assert!(signature_of("sig1=AQID", "sig1").is_err());
    }
}
