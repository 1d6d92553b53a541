//! The geocoder an instance may configure: a Nominatim-compatible service (the default),
//! Photon or Addok, asked over HTTP at most once a second, with its answers kept for a day.

use super::{addok, nominatim, photon, Place};
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a geocoder gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum GeocoderError {
    /// Down, slow, busy or answering something else than its service's JSON.
    #[error("{0}")]
    Unavailable(String),
}

/// Finds places by name or address.
#[async_trait::async_trait]
pub trait Geocoder: Send + Sync {
    /// At most `limit` places matching `text`, named in `language` where the service can.
    async fn search(
        &self,
        text: &str,
        language: &str,
        limit: usize,
    ) -> Result<Vec<Place>, GeocoderError>;
}

/// The services Convene speaks to, as Mobilizon does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Nominatim,
    Photon,
    Addok,
}

impl std::str::FromStr for Service {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "nominatim" => Ok(Service::Nominatim),
            "photon" => Ok(Service::Photon),
            "addok" => Ok(Service::Addok),
            other => Err(format!(
                "`{other}` is not a geocoder: nominatim, photon or addok"
            )),
        }
    }
}

impl Service {
    /// The search request for `text`, below the service's base URL.
    fn request(self, base: &str, text: &str, language: &str, limit: usize) -> String {
        let base = base.trim_end_matches('/');
        match self {
            Service::Nominatim => nominatim::search_url(base, text, language, limit),
            Service::Photon => photon::search_url(base, text, language, limit),
            Service::Addok => addok::search_url(base, text, limit),
        }
    }

    fn parse(self, body: &[u8]) -> Result<Vec<Place>, serde_json::Error> {
        match self {
            Service::Nominatim => nominatim::parse(body),
            Service::Photon => photon::parse(body),
            Service::Addok => addok::parse(body),
        }
    }
}

/// How the instance's geocoder is reached.
#[derive(Debug, Clone)]
pub struct GeocoderConfig {
    pub service: Service,
    /// The service's base URL (`https://nominatim.example.org`).
    pub url: String,
    /// Sent as `User-Agent`: Nominatim's policy asks each application to name itself.
    pub user_agent: String,
    /// The longest a lookup may take, waiting for its turn included.
    pub timeout: Duration,
    /// The shortest time between two requests (Nominatim's policy: one second).
    pub interval: Duration,
}

impl GeocoderConfig {
    /// `service` at `url`, for the instance at `public_url`, with the default limits.
    pub fn new(service: Service, url: &str, public_url: &str) -> Self {
        Self {
            service,
            url: url.to_string(),
            user_agent: format!("Convene/{} (+{public_url})", env!("CARGO_PKG_VERSION")),
            timeout: DEFAULT_TIMEOUT,
            interval: Duration::from_secs(1),
        }
    }
}

/// How long a lookup may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Answers kept; the oldest used goes first.
const CACHE_ENTRIES: usize = 2_000;
/// How long an answer is kept: places seldom move.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3600);

/// What was asked: the text (folded), the language and how many places.
type Question = (String, String, usize);

/// A geocoder over HTTP: rate-limited, its answers cached, every lookup bounded in time.
pub struct HttpGeocoder {
    config: GeocoderConfig,
    client: reqwest::Client,
    /// When the next request may leave.
    next_slot: Mutex<Instant>,
    cache: Mutex<lru::LruCache<Question, (Instant, Vec<Place>)>>,
}

impl HttpGeocoder {
    pub fn new(config: GeocoderConfig) -> Result<Self, String> {
        url::Url::parse(&config.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| format!("`{}` is not an http(s) URL", config.url))?;
        let client = reqwest::Client::builder()
            .user_agent(&config.user_agent)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(2)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            client,
            next_slot: Mutex::new(Instant::now()),
            cache: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
        })
    }

    /// How long to wait for a turn to send, the turn taken; `None` when it would come after
    /// `deadline` (then no turn is taken: the next one asking is not delayed for nothing).
    fn take_turn(&self, deadline: Instant) -> Option<Duration> {
        let mut next = self
            .next_slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let slot = (*next).max(now);
        // A turn so late that the answer could not come before the deadline is refused.
        if slot + Duration::from_millis(100) >= deadline {
            return None;
        }
        *next = slot + self.config.interval;
        Some(slot - now)
    }

    fn cached(&self, key: &Question) -> Option<Vec<Place>> {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cache.get(key) {
            Some((at, places)) if at.elapsed() < CACHE_FOR => Some(places.clone()),
            Some(_) => {
                cache.pop(key);
                None
            }
            None => None,
        }
    }

    async fn ask(&self, url: &str, deadline: Instant) -> Result<Vec<Place>, GeocoderError> {
        let unavailable = |why: String| {
            tracing::warn!(service = ?self.config.service, %why, "the geocoder did not answer");
            GeocoderError::Unavailable(why)
        };
        let wait = self
            .take_turn(deadline)
            .ok_or_else(|| unavailable("too many lookups at once".into()))?;
        tokio::time::sleep(wait).await;
        let left = deadline.saturating_duration_since(Instant::now());
        let exchange = async {
            let response = self
                .client
                .get(url)
                .header("Accept", "application/json")
                .send()
                .await
                .map_err(|e| e.without_url().to_string())?;
            if !response.status().is_success() {
                return Err(format!("it answered {}", response.status()));
            }
            response
                .bytes()
                .await
                .map_err(|e| e.without_url().to_string())
        };
        let body = tokio::time::timeout(left, exchange)
            .await
            .map_err(|_| unavailable(format!("no answer within {:?}", self.config.timeout)))?
            .map_err(unavailable)?;
        self.config
            .service
            .parse(&body)
            .map_err(|e| unavailable(format!("its answer does not read: {e}")))
    }
}

#[async_trait::async_trait]
impl Geocoder for HttpGeocoder {
    async fn search(
        &self,
        text: &str,
        language: &str,
        limit: usize,
    ) -> Result<Vec<Place>, GeocoderError> {
        let key = (super::fold(text), language.to_ascii_lowercase(), limit);
        if let Some(places) = self.cached(&key) {
            return Ok(places);
        }
        let deadline = Instant::now() + self.config.timeout;
        let url = self
            .config
            .service
            .request(&self.config.url, text, language, limit);
        let places = self.ask(&url, deadline).await?;
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .put(key, (Instant::now(), places.clone()));
        Ok(places)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geocoder(interval_ms: u64, timeout_ms: u64) -> HttpGeocoder {
        let mut config = GeocoderConfig::new(
            Service::Nominatim,
            "http://127.0.0.1:9",
            "https://events.example.org",
        );
        config.interval = Duration::from_millis(interval_ms);
        config.timeout = Duration::from_millis(timeout_ms);
        HttpGeocoder::new(config).expect("a geocoder")
    }

    #[test]
    fn turns_are_a_second_apart_and_none_is_taken_past_the_deadline() {
        let geocoder = geocoder(1_000, 5_000);
        let deadline = Instant::now() + Duration::from_millis(2_500);
        let waits: Vec<Option<u128>> = (0..4)
            .map(|_| geocoder.take_turn(deadline).map(|d| d.as_millis()))
            .collect();
        assert_eq!(waits[0], Some(0));
        assert!(
            waits[1].is_some_and(|w| (990..=1_000).contains(&w)),
            "{waits:?}"
        );
        assert!(
            waits[2].is_some_and(|w| (1_990..=2_000).contains(&w)),
            "{waits:?}"
        );
        // The fourth would leave after the deadline: refused, and the next slot not moved.
        assert_eq!(waits[3], None);
        let later = Instant::now() + Duration::from_secs(10);
        assert!(geocoder
            .take_turn(later)
            .is_some_and(|w| (2_990..=3_000).contains(&w.as_millis())));
    }

    #[test]
    fn the_user_agent_names_the_instance() {
        let config =
            GeocoderConfig::new(Service::Photon, "http://127.0.0.1:1", "https://ev.example");
        assert!(config.user_agent.starts_with("Convene/"));
        assert!(config.user_agent.ends_with("(+https://ev.example)"));
        assert!(HttpGeocoder::new(GeocoderConfig::new(Service::Addok, "ftp://x", "")).is_err());
    }

    #[test]
    fn services_are_named_as_in_the_configuration() {
        assert_eq!("photon".parse::<Service>(), Ok(Service::Photon));
        assert!("google"
            .parse::<Service>()
            .is_err_and(|e| e.contains("nominatim, photon or addok")));
    }
}
