//! The objects peers fetch at the URLs of their pages: events (and 410 Gone once deleted).

use super::{activity_json, internal, problem, Federation};
use crate::outbox::{event_document, EventDocument};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use convene_domain::Event;
use convene_projections::EventLog;
use cqrs_es::Aggregate;

/// `GET /events/{id}` as `application/activity+json`: the `Event`, or its `Tombstone` with 410.
/// A group's members-only event only to its current members' signed fetches (as its
/// collections: unsigned 401, anyone else 403). Drafts, private events and other instances'
/// events are not served.
pub async fn event(
    State(federation): State<Federation>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let log = match EventLog::new(&federation.db)
        .aggregate(Event::TYPE, &id)
        .await
    {
        Ok(log) => log,
        Err(e) => return internal("the event's changes", &e),
    };
    let document = match event_document(&federation.public_url, &id, &log) {
        Ok(document) => document,
        Err(e) => return internal("the event document", &e),
    };
    let json = match &document {
        EventDocument::Event(event) => serde_json::to_value(event),
        EventDocument::ForMembers { group, event } => {
            let request = (&method, &uri, &headers);
            if let Err(refused) =
                super::groups::member_of(&federation, group, "events", request).await
            {
                return refused;
            }
            serde_json::to_value(event)
        }
        EventDocument::Gone(tombstone) => serde_json::to_value(tombstone),
        EventDocument::Hidden => {
            return problem(StatusCode::NOT_FOUND, "there is no such public event here")
        }
    };
    match (json, document) {
        (Ok(json), EventDocument::Gone(_)) => {
            (StatusCode::GONE, activity_json(&json)).into_response()
        }
        (Ok(json), _) => activity_json(&json),
        (Err(e), _) => internal("the event document", &e),
    }
}
