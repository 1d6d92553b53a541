use serde::{Deserialize, Serialize};

/// Longest reported actor's URL, in bytes (as federation takes actor documents' URLs).
pub const ACTOR_URL_MAX: usize = 2_048;
/// Longest summary an actor snapshot keeps, in characters.
pub const SUMMARY_MAX: usize = 2_000;

/// Another instance's actor as this instance knew it when the actor was reported: the cache of
/// its actor document then. Nothing in the log describes a remote actor, and the cache is
/// overwritten whenever the actor changes, so the report keeps this copy for moderators to see
/// what was reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActorSnapshot {
    /// The actor's id, its URL.
    pub id: String,
    /// `Person`, `Group`, `Application`, `Organization` or `Service`.
    pub kind: String,
    /// `preferredUsername`.
    pub preferred_username: String,
    /// How this instance writes the actor: `name@host`.
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its `summary`, as plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Its page for people (`url`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When this instance last fetched the actor document.
    pub fetched_at: String,
}

/// Whether `url` reads as an actor's id: an absolute http(s) URL with a host, at most
/// [`ACTOR_URL_MAX`] bytes, nothing around it.
pub(super) fn is_actor_url(url: &str) -> bool {
    url.len() <= ACTOR_URL_MAX && url.trim() == url && crate::validation::is_web_url(url)
}
