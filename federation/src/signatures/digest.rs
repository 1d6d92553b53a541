//! Body digests: `Digest: SHA-256=<base64>` (RFC 3230, what draft-cavage signers send) and
//! `Content-Digest: sha-256=:<base64>:` (RFC 9530, what RFC 9421 signers send).
//!
//! A signature covers the digest header, not the body, so the body must be hashed again and
//! compared: Mobilizon does not, which lets anyone replay a signed header set with another
//! body.

use super::SignatureError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest as _, Sha256, Sha512};

/// The `Digest` header value for `body`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header (`SHA-256=…`, any case, possibly with other algorithms listed)
/// against `body`. Every SHA-256 or SHA-512 value listed must match, and one at least must be
/// there.
pub fn check_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    check(
        header.split(',').filter_map(|member| {
            let (algorithm, value) = member.trim().split_once('=')?;
            Some((algorithm.trim(), value.trim()))
        }),
        body,
    )
}

/// Checks a `Content-Digest` header (`sha-256=:…:`) against `body`, with the same rules.
pub fn check_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut malformed = false;
    let members: Vec<(&str, &str)> = header
        .split(',')
        .filter_map(|member| {
            let (algorithm, value) = member.trim().split_once('=')?;
            let value = value.trim();
            // A structured-field byte sequence, possibly followed by parameters.
            let value = value.split(';').next().unwrap_or_default();
            match value.strip_prefix(':').and_then(|v| v.strip_suffix(':')) {
                Some(inner) => Some((algorithm.trim(), inner)),
                None => {
                    malformed = true;
                    None
                }
            }
        })
        .collect();
    if malformed {
        return Err(SignatureError::Malformed(
            "Content-Digest is not sha-256=:…:",
        ));
    }
    check(members.into_iter(), body)
}

fn check<'a>(
    members: impl Iterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let mut checked = false;
    for (algorithm, value) in members {
        let expected: Vec<u8> = match algorithm.to_ascii_lowercase().as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let given = STANDARD
            .decode(value)
            .map_err(|_| SignatureError::Malformed("the digest is not base64"))?;
        if given != expected {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"hello": "world"}"#;

    #[test]
    fn the_draft_example_digest() {
        // draft-cavage-http-signatures-12, Appendix C.
        assert_eq!(
            digest_header(BODY),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        assert_eq!(
            check_digest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", BODY),
            Ok(())
        );
        assert_eq!(
            check_digest(
                "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
                b"{}"
            ),
            Err(SignatureError::DigestMismatch)
        );
        assert_eq!(
            check_digest("MD5=Sd/dVLAcvNLSq16eXua5uQ==", BODY),
            Err(SignatureError::UnsupportedDigest)
        );
    }

    #[test]
    fn content_digest_of_rfc_9530() {
        // RFC 9530 §2's example: the body {"hello": "world"} followed by a newline.
        let body = b"{\"hello\": \"world\"}\n";
        let header = "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:";
        assert_eq!(check_content_digest(header, body), Ok(()));
        assert_eq!(
            check_content_digest(header, BODY),
            Err(SignatureError::DigestMismatch)
        );
        assert!(matches!(
            check_content_digest("sha-256=RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=", body),
            Err(SignatureError::Malformed(_))
        ));
    }
}
