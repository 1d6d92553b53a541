//! Events: create, read, list, update, publish, cancel, delete.

use crate::auth::{Acting, MaybeSession, Session};
use crate::consistency;
use crate::problem::{Body, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::event::details::Visibility;
use convene_domain::event::{EventDetails, EventPatch, ParticipantState};
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::EventCommand;
use convene_projections::events::{self, EventFilter, EventView};
use convene_projections::profiles;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(publish))
        .routes(routes!(cancel))
}

pub const PAGE_MAX: i64 = 100;

/// An event's details, plus whether to keep it a draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEvent {
    #[serde(flatten)]
    pub details: EventDetails,
    /// Keep it unpublished for now.
    #[serde(default)]
    pub draft: bool,
}

impl NewEvent {
    /// Reads the body field by field (serde's flatten would lose the failing field's name).
    fn parse(mut body: serde_json::Value) -> Result<Self, Problem> {
        let draft = match body.as_object_mut().and_then(|o| o.remove("draft")) {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(draft)) => draft,
            Some(_) => return Err(Problem::invalid_field("draft", "draft is true or false")),
        };
        Ok(Self {
            details: crate::problem::from_value(body)?,
            draft,
        })
    }
}

/// What the person asking may see of an event.
#[derive(Debug, Default, Clone, Copy)]
pub struct Viewer {
    /// One of their profiles organises it.
    pub organiser: bool,
    /// One of their profiles takes part or waits for a seat (a request awaiting approval does
    /// not count: it must not open a private event).
    pub participant: bool,
    /// One of their profiles holds a seat (or organises).
    pub seated: bool,
    /// Instance moderator or administrator.
    pub moderator: bool,
}

/// How `session` relates to event `id`.
pub async fn viewer(
    state: &AppState,
    session: Option<&Session>,
    id: &str,
) -> Result<Viewer, Problem> {
    let Some(session) = session else {
        return Ok(Viewer::default());
    };
    let own: Vec<String> = profiles::owned_by(state.db.pool(), &session.account.id)
        .await?
        .into_iter()
        .map(|p| p.username)
        .collect();
    let mut viewer = Viewer {
        moderator: session.account.role.moderates(),
        ..Viewer::default()
    };
    for participation in events::participations(state.db.pool(), id, None).await? {
        if participation
            .profile
            .as_ref()
            .is_some_and(|p| own.contains(p))
        {
            let state = ParticipantState::parse(&participation.state);
            viewer.organiser |= state.is_some_and(ParticipantState::is_organiser);
            viewer.participant |=
                state.is_some_and(|s| s.is_going() || s == ParticipantState::Waitlisted);
            viewer.seated |= state.is_some_and(ParticipantState::is_going);
        }
    }
    Ok(viewer)
}

/// The event as `viewer` may see it, or 404 (drafts and private events stay hidden from
/// everyone else, as if they did not exist).
pub async fn visible(state: &AppState, viewer: Viewer, id: &str) -> Result<EventView, Problem> {
    let missing = || Problem::not_found("there is no such event");
    let mut event = events::find(state.db.pool(), id)
        .await?
        .ok_or_else(missing)?;
    let insider = viewer.organiser || viewer.moderator;
    let hidden = (event.draft && !insider)
        || (event.details.visibility == Visibility::Private && !(insider || viewer.participant));
    if hidden {
        return Err(missing());
    }
    if !insider {
        if event.details.options.hide_participant_count {
            event.participant_count = 0;
            event.waitlist_count = 0;
        }
        if !event.details.options.show_remaining_seats {
            event.remaining_seats = None;
        }
        if event.details.options.online_url_for_participants && !viewer.seated {
            event.details.online_url = None;
        }
    }
    Ok(event)
}

/// Runs an event command as `acting`, then answers with the event as they now see it.
async fn run(
    state: &AppState,
    acting: &Acting,
    id: &str,
    command: EventCommand,
) -> Result<Json<EventView>, Problem> {
    consistency::command(state, &state.events, id, command, &acting.metadata()).await?;
    let viewer = viewer(state, Some(&acting.session), id).await?;
    Ok(Json(visible(state, viewer, id).await?))
}

/// Create an event, organised by the acting profile.
#[utoipa::path(post, path = "/events", tag = "events", request_body = NewEvent, security(("bearer" = [])),
    responses((status = 201, body = EventView), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    acting: Acting,
    Body(body): Body<serde_json::Value>,
) -> Result<(StatusCode, Json<EventView>), Problem> {
    let new = NewEvent::parse(body)?;
    let id = create_event(&state, &acting, new.details, new.draft).await?;
    let viewer = viewer(&state, Some(&acting.session), &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(visible(&state, viewer, &id).await?),
    ))
}

/// Creates an event organised by the acting profile; returns its id.
pub async fn create_event(
    state: &AppState,
    acting: &Acting,
    details: EventDetails,
    draft: bool,
) -> Result<String, Problem> {
    let id = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::Create {
        organizer: acting.profile.clone(),
        creator_participation: uuid::Uuid::new_v4().to_string(),
        details,
        draft,
    };
    consistency::command(state, &state.events, &id, command, &acting.metadata()).await?;
    Ok(id)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Events still running at or after this RFC 3339 time (default: now).
    pub from: Option<String>,
    /// Events beginning before this RFC 3339 time.
    pub to: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    /// Username of the organising profile.
    pub organizer: Option<String>,
    /// Words the title contains.
    pub q: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// At most 100 (default 20).
    pub per_page: Option<i64>,
}

fn time_param(name: &str, value: Option<&String>) -> Result<Option<String>, Problem> {
    value
        .map(|text| {
            parse_timestamp(text).map(format_timestamp).map_err(|_| {
                Problem::invalid_field(
                    name,
                    format!("`{text}` is not an RFC 3339 time such as 2026-12-01T00:00:00Z"),
                )
            })
        })
        .transpose()
}

/// Upcoming public events, soonest first.
#[utoipa::path(get, path = "/events", tag = "events", params(ListQuery),
    responses((status = 200, body = Vec<EventView>), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<EventView>>, Problem> {
    let per_page = query.per_page.unwrap_or(20);
    if !(1..=PAGE_MAX).contains(&per_page) {
        return Err(Problem::invalid_field(
            "per_page",
            format!("per_page is 1 to {PAGE_MAX}"),
        ));
    }
    let page = query.page.unwrap_or(1);
    if page < 1 {
        return Err(Problem::invalid_field("page", "pages are counted from 1"));
    }
    let filter = EventFilter {
        from: time_param("from", query.from.as_ref())?
            .or_else(|| Some(format_timestamp(time::OffsetDateTime::now_utc()))),
        to: time_param("to", query.to.as_ref())?,
        category: query.category,
        tag: query
            .tag
            .map(|t| t.trim().trim_start_matches('#').to_lowercase()),
        organizer: query
            .organizer
            .map(|o| o.trim_start_matches('@').to_string()),
        text: query.q,
        online: None,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let mut found = events::list_public(state.db.pool(), &filter).await?;
    for event in &mut found {
        if event.details.options.online_url_for_participants {
            event.details.online_url = None;
        }
        if event.details.options.hide_participant_count {
            event.participant_count = 0;
            event.waitlist_count = 0;
        }
        if !event.details.options.show_remaining_seats {
            event.remaining_seats = None;
        }
    }
    Ok(Json(found))
}

/// One event.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventView), (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    let viewer = viewer(&state, session.as_ref(), &id).await?;
    Ok(Json(visible(&state, viewer, &id).await?))
}

/// Change any of an event's fields (creator and administrators); `null` clears an optional one.
#[utoipa::path(patch, path = "/events/{id}", tag = "events", request_body = EventPatch,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Body(patch): Body<EventPatch>,
) -> Result<Json<EventView>, Problem> {
    let command = EventCommand::Update {
        by: acting.profile.clone(),
        patch,
    };
    run(&state, &acting, &id, command).await
}

/// Publish a draft.
#[utoipa::path(post, path = "/events/{id}/publish", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = EventView), (status = 403, body = Problem)))]
async fn publish(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    let command = EventCommand::Publish {
        by: acting.profile.clone(),
    };
    run(&state, &acting, &id, command).await
}

/// Cancel an event; it stays visible, marked cancelled, and takes no more participants.
#[utoipa::path(post, path = "/events/{id}/cancel", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = EventView), (status = 403, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    let command = EventCommand::Cancel {
        by: acting.profile.clone(),
    };
    run(&state, &acting, &id, command).await
}

/// Delete an event (its history stays in the log).
#[utoipa::path(delete, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let command = EventCommand::Delete {
        by: acting.profile.clone(),
    };
    consistency::command(&state, &state.events, &id, command, &acting.metadata()).await?;
    Ok(StatusCode::NO_CONTENT)
}
