//! Events: create, read, list, update, publish, cancel, delete.

use crate::access::{self, Viewer};
use crate::auth::{Acting, Session};
use crate::consistency::{self, Reads};
use crate::error::Result;
use crate::validation::validate;
use crate::AppState;
use convene_domain::event::checked_cancel_reason;
use convene_domain::event::{EventDetails, EventPatch};
use convene_domain::group::{GroupActor, MemberRole};
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::EventCommand;
use convene_projections::accounts::AccountRow;
use convene_projections::events::{self, EventFilter, EventView};
use convene_projections::events::{CommentView, ParticipationView};
use convene_projections::groups;
use convene_projections::read_model::EVENTS;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use validator::Validate;

/// What event use cases read back after their commands.
pub const READS: Reads = &[EVENTS];

/// An event's details, plus whether to keep it a draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEvent {
    #[serde(flatten)]
    pub details: EventDetails,
    /// Keep it unpublished for now.
    #[serde(default)]
    pub draft: bool,
}

/// Runs an event command as `acting`.
async fn run(state: &AppState, acting: &Acting, id: &str, command: EventCommand) -> Result<i64> {
    consistency::command(state, &state.events, id, command, &acting.metadata(), READS).await
}

/// The event as `acting` now sees it.
async fn as_seen(state: &AppState, acting: &Acting, id: &str) -> Result<EventView> {
    show(state, Some(&acting.session), id).await
}

/// Who the acting profile acts as on event `id`: the organising group, when the event is a
/// group's and the profile is one of its moderators or above (the group's events are theirs to
/// edit); otherwise the profile itself.
pub(crate) async fn acting_for(state: &AppState, acting: &Acting, id: &str) -> Result<String> {
    if let Some(group) = events::group_of(state.db.pool(), id).await? {
        let me = GroupActor::profile(&acting.profile);
        let role = groups::membership(state.db.pool(), &group, &me).await?;
        if role.is_some_and(|m| m.role.at_least(MemberRole::Moderator)) {
            return Ok(group);
        }
    }
    Ok(acting.profile.clone())
}

/// Creates an event organised by the acting profile.
pub async fn create_event(state: &AppState, acting: &Acting, new: NewEvent) -> Result<EventView> {
    let id = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::Create {
        organiser: acting.profile.clone(),
        creator_participation: uuid::Uuid::new_v4().to_string(),
        details: new.details,
        draft: new.draft,
    };
    run(state, acting, &id, command).await?;
    as_seen(state, acting, &id).await
}

/// Event `id` as `session` (or a stranger) may see it.
pub async fn show(state: &AppState, session: Option<&Session>, id: &str) -> Result<EventView> {
    Ok(show_with_viewer(state, session, id).await?.0)
}

/// Event `id` as `session` (or a stranger) may see it, and how they relate to it.
pub async fn show_with_viewer(
    state: &AppState,
    session: Option<&Session>,
    id: &str,
) -> Result<(EventView, Viewer)> {
    access::event_for(state, session, id).await
}

/// Published public events matching `filter`, soonest first, as anyone may see them.
pub async fn upcoming(state: &AppState, filter: &EventFilter) -> Result<Vec<EventView>> {
    Ok(events::list_public(state.db.pool(), filter)
        .await?
        .into_iter()
        .map(|event| access::shown_to(Viewer::default(), event))
        .collect())
}

/// The longest search text, in characters: a line of words (SQLite refuses LIKE patterns
/// longer than 50,000 bytes, and a search engine has no use for more either).
pub const QUERY_MAX: u64 = 200;
/// The last page number accepted: a million events deep at 100 a page, and far from any
/// overflow of the offset it makes.
pub const PAGE_MAX: i64 = 10_000;

/// A search of upcoming public events.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Events still running at or after this RFC 3339 time (default: now).
    #[validate(custom(function = "crate::validation::timestamp"))]
    pub from: Option<String>,
    /// Events beginning before this RFC 3339 time.
    #[validate(custom(function = "crate::validation::timestamp"))]
    pub to: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    /// Username of the organising profile.
    #[serde(rename = "organizer")]
    pub organiser: Option<String>,
    /// Words the title contains (at most 200 characters).
    #[validate(length(max = QUERY_MAX, message = "a search is at most 200 characters"))]
    pub q: Option<String>,
    /// From 1 to 10,000; a page past the last is empty.
    #[validate(range(min = 1, max = PAGE_MAX, message = "pages are counted from 1 to 10000"))]
    pub page: Option<i64>,
    /// At most 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "per_page is 1 to 100"))]
    pub per_page: Option<i64>,
}

/// One page of events, and how many match on every page.
pub struct Listing {
    pub events: Vec<EventView>,
    pub total: i64,
}

/// One page of the upcoming public events matching `query`.
pub async fn list(state: &AppState, query: ListQuery) -> Result<Listing> {
    validate(&query)?;
    let per_page = query.per_page.unwrap_or(20);
    let page = query.page.unwrap_or(1);
    let instant = |text: Option<String>| {
        text.and_then(|t| parse_timestamp(&t).ok())
            .map(format_timestamp)
    };
    let filter = EventFilter {
        from: instant(query.from)
            .or_else(|| Some(format_timestamp(time::OffsetDateTime::now_utc()))),
        to: instant(query.to),
        category: query.category,
        tag: query
            .tag
            .map(|t| t.trim().trim_start_matches('#').to_lowercase()),
        organiser: query
            .organiser
            .map(|o| o.trim_start_matches('@').to_string()),
        group: None,
        text: query.q,
        online: None,
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    Ok(Listing {
        events: upcoming(state, &filter).await?,
        total: events::count_public(state.db.pool(), &filter).await?,
    })
}

/// Changes event `id`'s fields (creator and administrators); returns it as now seen.
pub async fn update(
    state: &AppState,
    acting: &Acting,
    id: &str,
    patch: EventPatch,
) -> Result<EventView> {
    let by = acting_for(state, acting, id).await?;
    run(state, acting, id, EventCommand::Update { by, patch }).await?;
    as_seen(state, acting, id).await
}

/// Publishes draft `id`.
pub async fn publish(state: &AppState, acting: &Acting, id: &str) -> Result<EventView> {
    let by = acting_for(state, acting, id).await?;
    run(state, acting, id, EventCommand::Publish { by }).await?;
    as_seen(state, acting, id).await
}

/// Cancels event `id`: it stays visible, marked cancelled, and takes no more participants.
/// Cancels event `id`, saying why when `reason` does (at most 1,000 characters, shown to
/// everyone who sees the event): the reason travels in the change's metadata.
pub async fn cancel(
    state: &AppState,
    acting: &Acting,
    id: &str,
    reason: Option<&str>,
) -> Result<EventView> {
    let reason = checked_cancel_reason(reason).map_err(crate::Error::Invalid)?;
    let by = acting_for(state, acting, id).await?;
    let mut metadata = acting.metadata();
    if let Some(reason) = reason {
        metadata = metadata.with_reason(reason);
    }
    let command = EventCommand::Cancel { by };
    consistency::command(state, &state.events, id, command, &metadata, READS).await?;
    as_seen(state, acting, id).await
}

/// Deletes event `id` (its history stays in the log).
pub async fn delete(state: &AppState, acting: &Acting, id: &str) -> Result<()> {
    let by = acting_for(state, acting, id).await?;
    run(state, acting, id, EventCommand::Delete { by })
        .await
        .map(drop)
}

/// Everything an event's page shows to `session` (or a stranger).
pub struct EventPage {
    pub event: EventView,
    pub viewer: Viewer,
    /// The first participation of the visitor's own profiles, if any.
    pub mine: Option<ParticipationView>,
    pub comments: Vec<CommentView>,
}

/// Event `id`'s page as `session` may see it.
pub async fn page(state: &AppState, session: Option<&Session>, id: &str) -> Result<EventPage> {
    // One look at the visitor's participations gives both how they relate to the event and
    // their own participation.
    let (viewer, own) = access::relation(state, session.map(|s| &s.account), id).await?;
    let event = access::visible(state, viewer, id).await?;
    let mine = own.into_iter().next().map(crate::participations::public);
    let comments = events::comments(state.db.pool(), id).await?;
    Ok(EventPage {
        event,
        viewer,
        mine,
        comments: access::comments_for(viewer, comments),
    })
}

/// The events `account`'s profiles organise, take part in, wait for or asked to join (drafts
/// and private ones included: they are its own), each with the participation, soonest first.
pub async fn of_account(
    state: &AppState,
    account: &AccountRow,
) -> Result<Vec<(EventView, ParticipationView)>> {
    let own = access::usernames_of(state, &account.id).await?;
    let participations = events::participations_of(state.db.pool(), &own).await?;
    // How the account relates to each event, from all its profiles' participations there.
    let mut viewers: HashMap<&str, Viewer> = HashMap::new();
    for participation in &participations {
        viewers
            .entry(participation.event_id.as_str())
            .or_insert(Viewer {
                moderator: account.role.moderates(),
                ..Viewer::default()
            })
            .take_part(participation.state);
    }
    let mut found = Vec::new();
    for participation in &participations {
        let viewer = viewers[participation.event_id.as_str()];
        let Some(event) = events::find(state.db.pool(), &participation.event_id).await? else {
            continue;
        };
        // A request awaiting approval does not open an event that became private.
        if access::may_see(viewer, &event) {
            found.push((access::shown_to(viewer, event), participation.clone()));
        }
    }
    Ok(found)
}
