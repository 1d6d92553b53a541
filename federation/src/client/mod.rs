//! The one outgoing HTTP client: deliveries and fetches of actors, keys and objects all go
//! through [`Client`], behind the SSRF guard ([`guard`]), with timeouts, a response size cap and
//! a redirect limit.

mod fetch_signer;
mod guard;

pub use fetch_signer::FetchSigner;
pub use guard::{check_ip, check_test_network, check_url, GuardedResolver, Network, Refused};

use crate::signatures::{Signer, ACTIVITY_JSON};
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER};
use reqwest::redirect;
use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

/// What the client may do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, redirects and body included.
    pub total_timeout: Duration,
    /// The largest response body read (Mastodon: 1 MB).
    pub max_body: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            max_redirects: 5,
        }
    }
}

/// Why a request failed before an answer could be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not a URL: {0}")]
    InvalidUrl(String),
    #[error("{0}")]
    TestNetworkOnPublicUrl(String),
    #[error("refused: {0}")]
    Refused(#[from] Refused),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("timed out")]
    Timeout,
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("connection failed: {0}")]
    Connection(String),
}

/// A fetched JSON document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL it was finally served from, after redirects: an object's `id` must be on its
    /// host (Mastodon CVE-2024-25623).
    pub url: Url,
    pub content_type: Option<String>,
    pub json: serde_json::Value,
}

impl Fetched {
    /// Whether it was served as ActivityStreams (`application/activity+json`, or
    /// `application/ld+json` with the ActivityStreams profile), as a fetched object must be.
    pub fn is_activity_json(&self) -> bool {
        let Some(content_type) = &self.content_type else {
            return false;
        };
        let content_type = content_type.to_ascii_lowercase();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        essence == ACTIVITY_JSON
            || (essence == "application/ld+json"
                && content_type.contains("https://www.w3.org/ns/activitystreams"))
    }
}

/// The beginning of a fetched web page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL it was finally served from, after redirects (relative links are read from it).
    pub url: Url,
    pub content_type: Option<String>,
    /// Its first bytes, at most the size asked for.
    pub body: Vec<u8>,
}

/// How a remote inbox answered a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub status: u16,
    /// `Retry-After`, in seconds or as an HTTP date, as a delay from now.
    pub retry_after: Option<Duration>,
}

/// The outgoing HTTP client. Cheap to clone (connections are pooled and shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    network: Network,
    limits: Arc<Limits>,
    /// Signs the GETs not signed otherwise (the instance actor), when set.
    fetch_signer: Option<FetchSigner>,
}

impl Client {
    /// A client identifying itself as `convene/{version} (+{public_url})`.
    /// The test network is refused unless `public_url` is itself on loopback.
    pub fn new(public_url: &Url, network: Network, limits: Limits) -> Result<Self, FetchError> {
        if network == Network::TestLoopback {
            check_test_network(public_url).map_err(FetchError::TestNetworkOnPublicUrl)?;
        }
        let max_redirects = limits.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(FetchError::TooManyRedirects(max_redirects));
            }
            match check_url(attempt.url(), network) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(format!(
                "convene/{} (+{public_url})",
                env!("CARGO_PKG_VERSION")
            ))
            .dns_resolver(Arc::new(GuardedResolver { network }))
            .no_proxy()
            .redirect(policy)
            .referer(false)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.total_timeout)
            .build()
            .map_err(|e| FetchError::Connection(e.to_string()))?;
        Ok(Client {
            http,
            network,
            limits: Arc::new(limits),
            fetch_signer: None,
        })
    }

    /// The same client, signing every GET not given another signer with `signer` (the
    /// instance actor's key), as servers in secure mode require.
    pub fn signing_fetches(mut self, signer: FetchSigner) -> Self {
        self.fetch_signer = Some(signer);
        self
    }

    /// GETs a JSON document (`Accept: application/activity+json`), signed with `signer` when
    /// given, else with the client's fetch signer (the instance actor) when it has one. A
    /// non-2xx answer is [`FetchError::Status`].
    pub async fn get_json(
        &self,
        url: &str,
        signer: Option<&Signer>,
    ) -> Result<Fetched, FetchError> {
        let url = self.target(url)?;
        let mut request = self.http.get(url.clone()).header(ACCEPT, ACTIVITY_JSON);
        let instance = match (signer, &self.fetch_signer) {
            (None, Some(fetch_signer)) => match fetch_signer.signer().await {
                Ok(instance) => Some(instance),
                Err(error) => {
                    // Unsigned, the fetch still reaches servers that do not demand signatures.
                    tracing::warn!(%error, "the instance actor's key cannot sign a fetch");
                    None
                }
            },
            _ => None,
        };
        if let Some(signer) = signer.or(instance.as_deref()) {
            request = with_headers(request, signer.sign_get(&url, SystemTime::now()));
        }
        let response = request.send().await.map_err(from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = self.body(response).await?;
        let json = serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()))?;
        Ok(Fetched {
            url: final_url,
            content_type,
            json,
        })
    }

    /// GETs a web page for what it says of itself (`Accept: text/html`), unsigned. At most
    /// `max` bytes of it are read: a page's head comes first, and the rest is left unread. A
    /// non-2xx answer is [`FetchError::Status`].
    pub async fn get_page(&self, url: &str, max: usize) -> Result<Page, FetchError> {
        let url = self.target(url)?;
        let response = self
            .http
            .get(url)
            .header(ACCEPT, "text/html, application/xhtml+xml;q=0.9")
            .send()
            .await
            .map_err(from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
            let room = max.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= max {
                break;
            }
        }
        Ok(Page {
            url: final_url,
            content_type,
            body,
        })
    }

    /// POSTs `body` (an activity) to `inbox`, signed as Mastodon and Mobilizon expect. Any
    /// HTTP answer is `Ok`, with its status: the caller decides what to retry.
    pub async fn post_signed(
        &self,
        inbox: &str,
        body: Vec<u8>,
        signer: &Signer,
    ) -> Result<Posted, FetchError> {
        let url = self.target(inbox)?;
        let headers = signer.sign_post(&url, &body, SystemTime::now());
        let response = with_headers(self.http.post(url), headers)
            .body(body)
            .send()
            .await
            .map_err(from_reqwest)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        // The answer's body is not needed; reading at most the cap lets the connection be
        // reused without letting a peer stream forever.
        let _ = self.body(response).await;
        Ok(Posted {
            status,
            retry_after,
        })
    }

    /// Which network the client may reach.
    pub fn network(&self) -> Network {
        self.network
    }

    fn target(&self, url: &str) -> Result<Url, FetchError> {
        let url = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        check_url(&url, self.network)?;
        Ok(url)
    }

    /// Reads the body in chunks, stopping as soon as it passes the cap.
    async fn body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let max = self.limits.max_body;
        let announced = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|length| length > max as u64) {
            return Err(FetchError::TooLarge(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Adds signed headers to a request; `Host` is left to the client, which derives the same
/// value from the URL (and the right one again after a redirect).
fn with_headers(
    mut request: reqwest::RequestBuilder,
    headers: http::HeaderMap,
) -> reqwest::RequestBuilder {
    for (name, value) in &headers {
        if name != HOST {
            request = request.header(name, value);
        }
    }
    request
}

/// Maps a reqwest failure, finding our own refusals among its causes (the resolver's and the
/// redirect policy's).
fn from_reqwest(error: reqwest::Error) -> FetchError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return FetchError::Refused(refused.clone());
        }
        if let Some(FetchError::TooManyRedirects(n)) = inner.downcast_ref::<FetchError>() {
            return FetchError::TooManyRedirects(*n);
        }
        cause = inner.source();
    }
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Connection(error.to_string())
    }
}

/// A `Retry-After` value (seconds, or an HTTP date) as a delay from `now`.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = httpdate::parse_http_date("Thu, 26 Nov 2026 19:00:00 GMT").expect("a date");
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Thu, 26 Nov 2026 19:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            retry_after("Thu, 26 Nov 2026 18:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
