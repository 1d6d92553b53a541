//! The ActivityStreams objects Convene emits, in the shapes Mobilizon emits them
//! (`lib/federation/activity_stream/converter/*.ex`, 5.x): pure functions from Convene's values
//! to serde types, no I/O.
//!
//! The outbox builds the inputs from the log and the read models: [`FederatedEvent`] (an event
//! as federated: its details, who organises it, its counts) and [`FederatedComment`]; the actor
//! URLs in them ([`ActorRef`]) come from the actors module, so the id rules of actors live in one
//! place. Object ids: events at `{public_url}/events/{uuid}`, comments at
//! `{public_url}/comments/{uuid}`; activity ids are [`activity_id`].

mod activity;
mod article;
mod event;
mod image;
mod note;
mod place;

pub use activity::{activity_id, Activity, ActivityKind};
pub use article::{article_object, post_url, ArticleObject, FederatedPost};
pub use event::{event_object, event_url, EventObject, FederatedEvent, FederatedGroup};
pub use image::{banner_document, image_object, picture_url, DocumentObject, ImageObject, BANNER};
pub use note::{comment_url, note_object, FederatedComment, NoteObject};
pub use place::{Hashtag, Link, Place, PostalAddress, PropertyValue};

use crate::context::PUBLIC;
use convene_domain::event::details::Visibility;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An actor as objects name it: its id and its followers collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRef {
    pub id: String,
    pub followers: String,
}

/// A deleted object, as served with 410 Gone and sent in `Delete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub former_type: String,
    pub deleted: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// The tombstone of object `id`, once a `former_type` (`Event`, `Note`), deleted at `deleted`.
pub fn tombstone(
    id: &str,
    former_type: &str,
    deleted: OffsetDateTime,
    actor: Option<&str>,
) -> Tombstone {
    Tombstone {
        context: Some(crate::context::context()),
        kind: "Tombstone".into(),
        id: id.into(),
        former_type: former_type.into(),
        deleted: timestamp(deleted),
        actor: actor.map(str::to_string),
    }
}

/// Who an object is addressed to, by visibility: public is `to` the public collection;
/// unlisted keeps the public collection in `cc` (reachable, not announced on timelines);
/// private goes to `followers` and the `participants` named, never to the public.
pub(crate) fn audience(
    visibility: Visibility,
    followers: &[&str],
    participants: &[String],
) -> (Vec<String>, Vec<String>) {
    let followers: Vec<String> = followers.iter().map(|f| f.to_string()).collect();
    match visibility {
        Visibility::Public => (vec![PUBLIC.into()], followers),
        Visibility::Unlisted => (followers, vec![PUBLIC.into()]),
        Visibility::Private => (followers, participants.to_vec()),
    }
}

/// An instant as Mobilizon writes it: RFC 3339, whole seconds, `Z` in UTC.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// `public_url` without its trailing slash, so ids never hold `//`.
pub(crate) fn base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}
