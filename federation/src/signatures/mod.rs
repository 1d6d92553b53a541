//! HTTP signatures: signing outgoing requests as Mastodon and Mobilizon expect (draft-cavage
//! `rsa-sha256` over `(request-target) host date digest content-type`, with a `Digest` of the
//! body), and verifying incoming ones signed either that way or with RFC 9421.
//!
//! Verifying takes two steps, so that the caller can fetch the key in between:
//! [`parse`] checks everything that needs no key — the signature covers what it must, its
//! date is within the window, the body matches its digest — and names the key
//! ([`SignedRequest::key_id`]); then [`SignedRequest::verify`] checks the signature with the
//! key's PEM. The caller checks that the key's owner is the activity's `actor`, and fetches
//! the key once more when verification fails (the actor may have rotated it).
//!
//! Every failure is a [`SignatureError`], and every one of them is answered with **401**
//! ([`SignatureError::STATUS`]): Fedify signs with RFC 9421 first and falls back to
//! draft-cavage only after a 401 (or 400), so a signature we cannot verify must never get a
//! 2xx or a 5xx.

mod cavage;
mod digest;
mod keys;
mod rfc9421;

pub use digest::{check_content_digest, check_digest, digest_header};
pub use keys::{KeyError, PrivateKey, PublicKey, MIN_RSA_BITS};

use http::{HeaderMap, HeaderValue, Method, Uri};
use std::time::{Duration, SystemTime};
use url::Url;

/// How far a signature's `Date` (or `created`) may be from now, either way, by default: 12
/// hours, as Mastodon and Mobilizon allow.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(12 * 3600);

/// The media type of the activities we post.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Why a request's signature is refused. Each is answered with 401 and the short reason its
/// `Display` gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed")]
    Unsigned,
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signed header {0:?} is not in the request")]
    MissingHeader(String),
    #[error("the signed Date is not an HTTP date")]
    BadDate,
    #[error("the signature's date is more than {max_skew_secs} s away from now")]
    OutOfWindow { max_skew_secs: u64 },
    #[error("the signature has expired")]
    Expired,
    #[error("a request with a body must carry its digest")]
    MissingDigest,
    #[error("the body does not match its digest")]
    DigestMismatch,
    #[error("no SHA-256 or SHA-512 digest of the body")]
    UnsupportedDigest,
    #[error("the keyId is not an http(s) URL")]
    BadKeyId,
    #[error("the signing key is refused: {0}")]
    BadKey(#[from] KeyError),
    #[error("the signature does not verify with the signer's key")]
    BadSignature,
}

impl SignatureError {
    /// The HTTP status every refusal is answered with.
    pub const STATUS: http::StatusCode = http::StatusCode::UNAUTHORIZED;
}

/// Which specification a request was signed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// draft-cavage-http-signatures (`Signature: keyId=…,headers=…,signature=…`).
    Cavage,
    /// RFC 9421 (`Signature-Input` and `Signature`).
    Rfc9421,
}

/// A request as it was received, with what the signature checks need.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub method: &'a Method,
    /// The target as received: path and query (or an absolute URI).
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The scheme the instance is reached by (`https`, or `http` on a test network): RFC
    /// 9421's `@target-uri` and `@scheme` include it, and the request line does not.
    pub scheme: &'a str,
}

/// A request whose signature is well formed, covers what it must, is within its time window,
/// and whose body matches its digest; what is left is to check the signature itself with the
/// key named by [`SignedRequest::key_id`].
#[derive(Debug, Clone)]
pub struct SignedRequest {
    form: Form,
    key_id: String,
    signing_string: String,
    signature: Vec<u8>,
}

impl SignedRequest {
    /// The URL of the signing key, as given (`…#main-key`, `…#main`, `…/publickey`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The document to fetch for the key: the key id without its fragment. Mastodon and
    /// Mobilizon serve the key inside the actor document; a `…/publickey` URL serves a key
    /// document whose `owner` names the actor.
    pub fn key_document(&self) -> &str {
        self.key_id
            .split_once('#')
            .map_or(self.key_id.as_str(), |(url, _)| url)
    }

    pub fn form(&self) -> Form {
        self.form
    }

    /// What was signed, rebuilt from the request.
    pub fn signing_string(&self) -> &str {
        &self.signing_string
    }

    /// Checks the signature with the signer's public key (SPKI or PKCS#1 PEM).
    pub fn verify(&self, public_key_pem: &str) -> Result<(), SignatureError> {
        let key = PublicKey::from_pem(public_key_pem)?;
        if key.verifies(self.signing_string.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}

/// Reads and checks a received request's signature, everything but the signature itself:
/// RFC 9421 when `Signature-Input` is present, draft-cavage otherwise. `now` and `max_skew`
/// bound the signed `Date` (or `created`).
pub fn parse(
    request: &Received<'_>,
    now: SystemTime,
    max_skew: Duration,
) -> Result<SignedRequest, SignatureError> {
    if request.headers.contains_key("signature-input") {
        rfc9421::parse(request, now, max_skew)
    } else if request.headers.contains_key("signature") {
        cavage::parse(request, now, max_skew)
    } else {
        Err(SignatureError::Unsigned)
    }
}

/// The key that signs our requests, and its id (`{actor}#main-key`).
#[derive(Debug, Clone)]
pub struct Signer {
    pub key_id: String,
    pub key: PrivateKey,
}

impl Signer {
    /// A signer from the agreed storage form: a PKCS#8 PEM private key.
    pub fn new(key_id: impl Into<String>, private_key_pem: &str) -> Result<Self, KeyError> {
        Ok(Signer {
            key_id: key_id.into(),
            key: PrivateKey::from_pkcs8_pem(private_key_pem)?,
        })
    }

    /// The headers of a signed POST of `body` to `url`, as Mastodon and Mobilizon expect:
    /// `Host`, `Date`, `Digest`, `Content-Type` and a `Signature` over
    /// `(request-target) host date digest content-type`.
    pub fn sign_post(&self, url: &Url, body: &[u8], date: SystemTime) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, header_value(&host_of(url)));
        headers.insert(
            http::header::DATE,
            header_value(&httpdate::fmt_http_date(date)),
        );
        headers.insert("digest", header_value(&digest_header(body)));
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(ACTIVITY_JSON),
        );
        self.sign(&Method::POST, url, headers, cavage::POST_HEADERS)
    }

    /// The headers of a signed GET of `url`: `Host`, `Date` and a `Signature` over
    /// `(request-target) host date`.
    pub fn sign_get(&self, url: &Url, date: SystemTime) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, header_value(&host_of(url)));
        headers.insert(
            http::header::DATE,
            header_value(&httpdate::fmt_http_date(date)),
        );
        self.sign(&Method::GET, url, headers, cavage::GET_HEADERS)
    }

    fn sign(
        &self,
        method: &Method,
        url: &Url,
        mut headers: HeaderMap,
        names: &[&str],
    ) -> HeaderMap {
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let signing_string =
            cavage::signing_string(method, &target, &headers, names).unwrap_or_default();
        let signature = self.key.sign(signing_string.as_bytes());
        headers.insert(
            "signature",
            header_value(&cavage::signature_header(&self.key_id, names, &signature)),
        );
        headers
    }
}

/// The `Host` header for `url`: its host, with the port when it is not the scheme's default
/// (as hyper sends it, and as Mobilizon signs it).
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Our own header values are built from URLs, dates and base64: always visible ASCII.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether `moment` is within `max_skew` of `now`, either way.
fn within(moment: SystemTime, now: SystemTime, max_skew: Duration) -> Result<(), SignatureError> {
    let distance = match moment.duration_since(now) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    if distance > max_skew {
        Err(SignatureError::OutOfWindow {
            max_skew_secs: max_skew.as_secs(),
        })
    } else {
        Ok(())
    }
}

/// The values of header `name` in the request, trimmed and joined with `, ` as both
/// specifications say; `None` when the request has no such header.
fn header_values(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

/// Whether the request has a body that a digest must cover.
fn has_body(request: &Received<'_>) -> bool {
    request.method == Method::POST || request.method == Method::PUT || !request.body.is_empty()
}

/// The key id must be a URL we could fetch.
fn check_key_id(key_id: &str) -> Result<(), SignatureError> {
    match Url::parse(key_id) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(SignatureError::BadKeyId),
    }
}
