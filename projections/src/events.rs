//! The read models of events: `events` (with `event_tags`), `participations` and `comments`.

use crate::domains::{covered_sql, policy_sql};
use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of, known};
use async_trait::async_trait;
use convene_domain::event::details::{EventDetails, EventStatus};
use convene_domain::event::{GroupLink, Participant, ParticipantState, RemoteOrigin};
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::ContentAction;
use convene_domain::picture::ShownPicture;
use convene_domain::{Event, EventChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct EventsProjection;

#[async_trait]
impl Projection for EventsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::EVENTS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["events", "event_tags", "participations", "comments"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Event::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        match event.change::<EventChange>()? {
            EventChange::Created {
                organiser,
                creator_participation: creator,
                details,
                draft,
            } => created(conn, &on, organiser, &creator, &details, draft).await,
            EventChange::Imported { origin, details } => {
                imported(conn, &on, &origin, &details).await
            }
            EventChange::Updated { details, .. } => write_details(conn, &on, &details).await,
            EventChange::OrganisedByGroup { group }
            | EventChange::GroupOptionsChanged { group } => {
                organised_by_group(conn, &on, &group).await
            }
            EventChange::PictureSet { picture } => picture_shown(conn, &on, Some(&picture)).await,
            EventChange::PictureRemoved => picture_shown(conn, &on, None).await,
            EventChange::Published => published(conn, &on).await,
            EventChange::Cancelled => {
                cancelled(conn, &on, event.metadata()?.reason.as_deref()).await
            }
            EventChange::Deleted => deleted(conn, &on).await,
            EventChange::Joined {
                participation,
                who,
                state,
                message,
                confirm_token,
                cancel_token,
            } => {
                let tokens = (confirm_token, cancel_token);
                joined(conn, &on, &participation, &who, state, message, tokens).await
            }
            EventChange::Confirmed {
                participation,
                state,
            }
            | EventChange::Approved {
                participation,
                state,
            }
            | EventChange::RoleChanged {
                participation,
                role: state,
            } => state_changed(conn, &on, &participation, state).await,
            EventChange::Rejected { participation } => {
                state_changed(conn, &on, &participation, ParticipantState::Rejected).await
            }
            EventChange::Promoted { participation } => {
                state_changed(conn, &on, &participation, ParticipantState::Participant).await
            }
            EventChange::Left { participation } => left(conn, &participation).await,
            EventChange::CommentPosted {
                comment,
                author,
                in_reply_to: reply,
                body,
                announcement,
            } => comment_posted(conn, &on, &comment, &author, reply, &body, announcement).await,
            EventChange::RemoteCommentPosted {
                comment,
                author,
                in_reply_to: reply,
                body,
                ..
            } => comment_posted(conn, &on, &comment, &author.handle, reply, &body, false).await,
            EventChange::CommentEdited { comment, body } => {
                comment_edited(conn, &on, &comment, &body).await
            }
            EventChange::CommentDeleted { comment } => comment_deleted(conn, &on, &comment).await,
            EventChange::RemoteActorDescribed {
                actor,
                former_handle,
                handle,
                name,
            } => remote_actor_described(conn, &on, &actor, &former_handle, &handle, name).await,
            EventChange::Moderated { action, .. } => moderated(conn, &on, &action).await,
        }
    }
}

/// An event is created with its organiser's participation as creator.
async fn created(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    organiser: String,
    creator_participation: &str,
    details: &EventDetails,
    draft: bool,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO events (id, organizer, title, begins_at, ends_at, status, visibility, \
         draft, category, online, in_person, capacity, details, created_at, updated_at) \
         VALUES ($1, $2, '', '', NULL, '', '', $3, '', $4, $4, NULL, '', $5, $5)",
    )
    .bind(on.id)
    .bind(&organiser)
    .bind(flag(draft))
    .bind(flag(false))
    .bind(&on.at)
    .execute(&mut *conn)
    .await?;
    write_details(conn, on, details).await?;
    let organiser = Participant::Profile(organiser);
    let state = ParticipantState::Creator;
    joined(
        conn,
        on,
        creator_participation,
        &organiser,
        state,
        None,
        (None, None),
    )
    .await
}

/// A remote event: published, organised by its remote actor (shown by handle), no
/// participation of ours.
async fn imported(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    origin: &RemoteOrigin,
    details: &EventDetails,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO events (id, organizer, title, begins_at, ends_at, status, visibility, \
         draft, category, online, in_person, capacity, details, created_at, updated_at, \
         origin_object, origin_actor, origin_name, origin_url) \
         VALUES ($1, $2, '', '', NULL, '', '', $3, '', $3, $3, NULL, '', $4, $4, $5, $6, $7, $8)",
    )
    .bind(on.id)
    .bind(&origin.actor_handle)
    .bind(flag(false))
    .bind(&on.at)
    .bind(&origin.object)
    .bind(&origin.actor)
    .bind(&origin.actor_name)
    .bind(&origin.url)
    .execute(&mut *conn)
    .await?;
    write_details(conn, on, details).await
}

/// A remote actor's new description, wherever this event names it: as its organiser (handle
/// and name), a participant (handle) or the author of comments (recorded by handle).
async fn remote_actor_described(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    actor: &str,
    former_handle: &str,
    handle: &str,
    name: Option<String>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE events SET organizer = $1, origin_name = $2 WHERE id = $3 AND origin_actor = $4",
    )
    .bind(handle)
    .bind(name)
    .bind(on.id)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE participations SET remote_handle = $1 WHERE event_id = $2 AND remote_actor = $3",
    )
    .bind(handle)
    .bind(on.id)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    if former_handle.contains('@') {
        sqlx::query("UPDATE comments SET author = $1 WHERE event_id = $2 AND author = $3")
            .bind(handle)
            .bind(on.id)
            .bind(former_handle)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn organised_by_group(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    group: &GroupLink,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE events SET group_handle = $1, members_only = $2, hide_organiser = $3 WHERE id = $4",
    )
    .bind(&group.handle)
    .bind(flag(group.members_only))
    .bind(flag(group.hide_organiser))
    .bind(on.id)
    .execute(conn)
    .await?;
    Ok(())
}

async fn published(conn: &mut AnyConnection, on: &Applying<'_>) -> Result<(), Error> {
    sqlx::query("UPDATE events SET draft = $1, updated_at = $2 WHERE id = $3")
        .bind(flag(false))
        .bind(&on.at)
        .bind(on.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The picture the event shows, as JSON (or none).
async fn picture_shown(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    picture: Option<&ShownPicture>,
) -> Result<(), Error> {
    let json = crate::pictures::shown_json(on, picture)?;
    sqlx::query("UPDATE events SET picture = $1, updated_at = $2 WHERE id = $3")
        .bind(json)
        .bind(&on.at)
        .bind(on.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a picture kept as JSON (`events.picture`, `profiles.avatar`).
pub(crate) fn picture_of(row: &AnyRow, column: &str) -> Result<Option<ShownPicture>, Error> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| Error::Unreadable {
            position: 0,
            reason: format!("{column}: {e}"),
        })
    })
    .transpose()
}

/// Only the status changes: the rest of the details stays as last written.
/// Cancelled, with the reason its organisers gave in the change's metadata, if any.
async fn cancelled(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    reason: Option<&str>,
) -> Result<(), Error> {
    let text: String = sqlx::query_scalar("SELECT details FROM events WHERE id = $1")
        .bind(on.id)
        .fetch_one(&mut *conn)
        .await?;
    let mut details: EventDetails = serde_json::from_str(&text).map_err(|e| on.unreadable(e))?;
    details.status = EventStatus::Cancelled;
    sqlx::query("UPDATE events SET cancel_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(on.id)
        .execute(&mut *conn)
        .await?;
    write_details(conn, on, &details).await
}

async fn deleted(conn: &mut AnyConnection, on: &Applying<'_>) -> Result<(), Error> {
    for table in ["event_tags", "participations", "comments"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE event_id = $1"))
            .bind(on.id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM events WHERE id = $1")
        .bind(on.id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn joined(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    participation: &str,
    who: &Participant,
    state: ParticipantState,
    message: Option<String>,
    (confirm_token, cancel_token): (Option<String>, Option<String>),
) -> Result<(), Error> {
    let (profile, email, remote) = match who {
        Participant::Profile(username) => (Some(username.as_str()), None, None),
        Participant::Anonymous { email } => (None, Some(email.as_str()), None),
        Participant::Remote(remote) => (None, None, Some(remote)),
    };
    sqlx::query(
        "INSERT INTO participations (id, event_id, profile, email, state, message, confirm_token, \
         cancel_token, waitlist_rank, joined_at, updated_at, remote_actor, remote_handle) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
    )
    .bind(participation)
    .bind(on.id)
    .bind(profile)
    .bind(email)
    .bind(state.as_str())
    .bind(message)
    .bind(confirm_token)
    .bind(cancel_token)
    .bind(waitlist_rank(state, on.position))
    .bind(&on.at)
    .bind(remote.map(|r| r.actor.as_str()))
    .bind(remote.map(|r| r.handle.as_str()))
    .execute(&mut *conn)
    .await?;
    recount(conn, on.id, None, Some(state.as_str())).await
}

/// Confirmed, approved, rejected, promoted or given another role: the participation is now in
/// `state`.
async fn state_changed(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    participation: &str,
    state: ParticipantState,
) -> Result<(), Error> {
    let Some((event, was)) = participation_state(conn, participation).await? else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE participations SET state = $1, waitlist_rank = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(state.as_str())
    .bind(waitlist_rank(state, on.position))
    .bind(&on.at)
    .bind(participation)
    .execute(&mut *conn)
    .await?;
    recount(conn, &event, Some(&was), Some(state.as_str())).await
}

/// The waitlist is ordered by the log position that put each one on it.
fn waitlist_rank(state: ParticipantState, position: i64) -> Option<i64> {
    (state == ParticipantState::Waitlisted).then_some(position)
}

async fn left(conn: &mut AnyConnection, participation: &str) -> Result<(), Error> {
    let Some((event, was)) = participation_state(conn, participation).await? else {
        return Ok(());
    };
    sqlx::query("DELETE FROM participations WHERE id = $1")
        .bind(participation)
        .execute(&mut *conn)
        .await?;
    recount(conn, &event, Some(&was), None).await
}

/// The event and state of `participation`, if it is in the read model.
async fn participation_state(
    conn: &mut AnyConnection,
    participation: &str,
) -> Result<Option<(String, String)>, Error> {
    let row = sqlx::query("SELECT event_id, state FROM participations WHERE id = $1")
        .bind(participation)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => Some((row.try_get("event_id")?, row.try_get("state")?)),
        None => None,
    })
}

/// Moves event `event`'s kept counts (`participant_count`, `waitlist_count`) by a
/// participation going from state `was` to `now` (`None`: absent). Adjusted by the difference
/// rather than counted again, so that a join to a crowded event does not count its crowd.
async fn recount(
    conn: &mut AnyConnection,
    event: &str,
    was: Option<&str>,
    now: Option<&str>,
) -> Result<(), Error> {
    let delta = |state: ParticipantState| {
        let name = Some(state.as_str());
        i64::from(now == name) - i64::from(was == name)
    };
    let (participants, waitlisted) = (
        delta(ParticipantState::Participant),
        delta(ParticipantState::Waitlisted),
    );
    if (participants, waitlisted) == (0, 0) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE events SET participant_count = participant_count + $1, \
         waitlist_count = waitlist_count + $2 WHERE id = $3",
    )
    .bind(participants)
    .bind(waitlisted)
    .bind(event)
    .execute(conn)
    .await?;
    Ok(())
}

async fn comment_posted(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    comment: &str,
    author: &str,
    in_reply_to: Option<String>,
    body: &str,
    announcement: bool,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO comments (id, event_id, author, in_reply_to, body, announcement, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(comment)
    .bind(on.id)
    .bind(author)
    .bind(in_reply_to)
    .bind(body)
    .bind(flag(announcement))
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn comment_edited(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    comment: &str,
    body: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3")
        .bind(body)
        .bind(&on.at)
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

/// A deleted comment stays as a tombstone, so its replies keep their place.
async fn comment_deleted(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    comment: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE comments SET body = NULL, deleted_at = $1 WHERE id = $2")
        .bind(&on.at)
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

/// A moderators' decision: a flag of the event, or of one comment (whose body stays in the
/// read model, so restoring it needs nothing else; readers show removed comments as tombstones).
async fn moderated(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    action: &ContentAction,
) -> Result<(), Error> {
    let (table, column, value, id) = match action {
        ContentAction::Hide => ("events", "hidden", true, on.id),
        ContentAction::Unhide => ("events", "hidden", false, on.id),
        ContentAction::Remove => ("events", "removed", true, on.id),
        ContentAction::Restore => ("events", "removed", false, on.id),
        ContentAction::CloseComments => ("events", "comments_closed", true, on.id),
        ContentAction::ReopenComments => ("events", "comments_closed", false, on.id),
        ContentAction::RemoveComment { comment } => ("comments", "removed", true, comment.as_str()),
        ContentAction::RestoreComment { comment } => {
            ("comments", "removed", false, comment.as_str())
        }
    };
    sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
        .bind(flag(value))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

fn status_text(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Tentative => "tentative",
        EventStatus::Confirmed => "confirmed",
        EventStatus::Cancelled => "cancelled",
    }
}

/// Writes the listed columns, the details and the tags from `details` (an event created or
/// updated).
async fn write_details(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    details: &EventDetails,
) -> Result<(), Error> {
    let id = on.id;
    let visibility = serde_json::to_value(details.visibility)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    sqlx::query(
        "UPDATE events SET title = $1, begins_at = $2, ends_at = $3, status = $4, visibility = $5, \
         category = $6, online = $7, capacity = $8, details = $9, updated_at = $10, \
         in_person = $12 WHERE id = $11",
    )
    .bind(&details.title)
    .bind(format_timestamp(details.begins_at))
    .bind(details.ends_at.map(format_timestamp))
    .bind(status_text(details.status))
    .bind(visibility)
    .bind(&details.category)
    .bind(flag(details.is_online()))
    .bind(details.capacity)
    .bind(serde_json::to_string(details).unwrap_or_default())
    .bind(&on.at)
    .bind(id)
    .bind(flag(details.address.is_some()))
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM event_tags WHERE event_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in &details.tags {
        sqlx::query("INSERT INTO event_tags (event_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// An event as shown: what the organiser entered, plus counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub id: String,
    /// The username of the profile that created it (`organizer` in JSON, as documented).
    #[serde(rename = "organizer")]
    pub organiser: String,
    #[serde(flatten)]
    pub details: EventDetails,
    pub draft: bool,
    /// The group organising the event, if one does.
    pub group: Option<GroupLink>,
    /// Where an event organised on another instance comes from (`organizer` is then the
    /// remote organiser's `name@host`); absent for local events.
    pub origin: Option<RemoteOrigin>,
    /// The picture the event shows, if any.
    pub picture: Option<ShownPicture>,
    /// Why its organisers cancelled it, when they said.
    pub cancel_reason: Option<String>,
    pub participant_count: i64,
    pub waitlist_count: i64,
    /// Seats left, when the event has a capacity.
    pub remaining_seats: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// Hidden by the instance's moderators from public listings and search.
    pub hidden_by_moderators: bool,
    /// Removed by the instance's moderators: a tombstone for everyone else.
    pub removed_by_moderators: bool,
    /// Comments closed by the instance's moderators.
    pub comments_closed_by_moderators: bool,
    /// The organising profile (or its account) is suspended by the instance's moderators: its
    /// public content is hidden.
    pub organiser_suspended: bool,
}

// A remote organiser on a suspended domain, or suspended itself, counts as suspended.
const EVENT_COLUMNS: &str = concat!(
    "e.id, e.organizer, e.draft, e.details, e.created_at, e.updated_at, \
     e.group_handle, e.members_only, e.hide_organiser, e.hidden, e.removed, e.comments_closed, \
     (SELECT COUNT(*) FROM profiles sp WHERE sp.username = e.organizer \
      AND (sp.suspended = 1 OR sp.account_suspended = 1)) \
      + (SELECT COUNT(*) FROM actor_decisions ad WHERE ad.handle = e.organizer) \
      + CASE WHEN ",
    covered_sql!("e.organizer", "'suspend'"),
    " THEN 1 ELSE 0 END AS organiser_suspended, CASE WHEN ",
    policy_sql!("e.organizer", "reject_media"),
    " THEN 1 ELSE 0 END AS media_rejected, \
     e.origin_object, e.origin_actor, e.origin_name, e.origin_url, e.picture, e.cancel_reason, \
     e.participant_count, e.waitlist_count"
);

fn event_view(row: &AnyRow) -> Result<EventView, Error> {
    let text: String = row.try_get("details")?;
    let mut details: EventDetails = serde_json::from_str(&text).map_err(|e| Error::Unreadable {
        position: 0,
        reason: format!("event details: {e}"),
    })?;
    // Administrators rejected the media of the organiser's domain: its picture is not shown.
    if flag_of(row, "media_rejected")? {
        details.remote_picture = None;
    }
    let participant_count: i64 = row.try_get("participant_count")?;
    let group: Option<String> = row.try_get("group_handle")?;
    let group = match group {
        Some(handle) => Some(GroupLink::here(
            &handle,
            flag_of(row, "members_only")?,
            flag_of(row, "hide_organiser")?,
        )),
        None => None,
    };
    let organiser: String = row.try_get("organizer")?;
    let object: Option<String> = row.try_get("origin_object")?;
    let origin = match object {
        Some(object) => Some(RemoteOrigin {
            object,
            actor: row.try_get("origin_actor")?,
            actor_handle: organiser.clone(),
            actor_name: row.try_get("origin_name")?,
            url: row.try_get("origin_url")?,
            // Kept in the log, not in the read model.
            inbox: None,
        }),
        None => None,
    };
    Ok(EventView {
        group,
        origin,
        picture: picture_of(row, "picture")?,
        cancel_reason: row.try_get("cancel_reason")?,
        id: row.try_get("id")?,
        organiser,
        remaining_seats: details.capacity.map(|c| (c - participant_count).max(0)),
        details,
        draft: flag_of(row, "draft")?,
        participant_count,
        waitlist_count: row.try_get("waitlist_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        hidden_by_moderators: flag_of(row, "hidden")?,
        removed_by_moderators: flag_of(row, "removed")?,
        comments_closed_by_moderators: flag_of(row, "comments_closed")?,
        organiser_suspended: flag_of(row, "organiser_suspended")?,
    })
}

/// The event `id`, if it exists (drafts and every visibility included: callers decide).
pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<EventView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(event_view).transpose()
}

/// The events that name remote `actor`: those it organises, takes part in, or commented on
/// (comments record their remote author as `handle`).
pub async fn naming_remote_actor(
    pool: &AnyPool,
    actor: &str,
    handle: &str,
) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM events WHERE origin_actor = $1 \
         UNION SELECT event_id FROM participations WHERE remote_actor = $1 \
         UNION SELECT event_id FROM comments WHERE author = $2 \
         ORDER BY 1",
    )
    .bind(actor)
    .bind(handle)
    .fetch_all(pool)
    .await?)
}

/// The handle of the group organising event `id`, if one does.
pub async fn group_of(pool: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    let group: Option<Option<String>> =
        sqlx::query_scalar("SELECT group_handle FROM events WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(group.flatten())
}

/// The ids of the events group `handle` organises, drafts and every visibility included
/// (callers decide who sees which), soonest first.
pub async fn ids_of_group(pool: &AnyPool, handle: &str) -> Result<Vec<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT id FROM events WHERE group_handle = $1 ORDER BY begins_at, id")
            .bind(handle)
            .fetch_all(pool)
            .await?,
    )
}

/// The events among `ids` that exist, in no particular order (every visibility: callers decide).
pub async fn find_many(pool: &AnyPool, ids: &[String]) -> Result<Vec<EventView>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(event_view).collect()
}

/// The events group `handle` organises, drafts and every visibility included (callers decide
/// who sees which), soonest first, `limit` from `offset`.
pub async fn of_group(
    pool: &AnyPool,
    handle: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<EventView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.group_handle = $1 \
         ORDER BY e.begins_at, e.id LIMIT $2 OFFSET $3"
    ))
    .bind(handle)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(event_view).collect()
}

/// The events group `handle` organises that have not ended at `from` (a stored timestamp),
/// drafts and every visibility included (callers decide who sees which), soonest first, at most
/// `limit`.
pub async fn upcoming_of_group(
    pool: &AnyPool,
    handle: &str,
    from: &str,
    limit: i64,
) -> Result<Vec<EventView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.group_handle = $1 \
         AND COALESCE(e.ends_at, e.begins_at) >= $2 ORDER BY e.begins_at, e.id LIMIT $3"
    ))
    .bind(handle)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(event_view).collect()
}

/// What a list of events is filtered by.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events ending (or beginning, when they have no end) at or after this time.
    pub from: Option<String>,
    /// Events beginning before this time.
    pub to: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub organiser: Option<String>,
    /// Handle of the organising group (`name@host` for a group elsewhere).
    pub group: Option<String>,
    /// Text the title must contain (case-insensitive).
    pub text: Option<String>,
    /// Only events held online (true), or only events with a place (false).
    pub online: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

/// Published public events matching `filter`, soonest first.
pub async fn list_public(pool: &AnyPool, filter: &EventFilter) -> Result<Vec<EventView>, Error> {
    let (conditions, binds) = public_conditions(filter);
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE {conditions} \
         ORDER BY e.begins_at, e.id LIMIT {} OFFSET {}",
        filter.limit.max(0),
        filter.offset.max(0)
    );
    let mut query = sqlx::query(&sql).bind(flag(false));
    for value in &binds {
        query = query.bind(value);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(event_view).collect()
}

/// How many published public events match `filter`, on every page.
pub async fn count_public(pool: &AnyPool, filter: &EventFilter) -> Result<i64, Error> {
    let (conditions, binds) = public_conditions(filter);
    let sql = format!("SELECT COUNT(*) FROM events e WHERE {conditions}");
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(flag(false));
    for value in &binds {
        query = query.bind(value);
    }
    Ok(query.fetch_one(pool).await?)
}

/// The conditions `filter` sets on public events, and the values they bind after the draft
/// flag (`$1`).
pub(crate) fn public_conditions(filter: &EventFilter) -> (String, Vec<String>) {
    // What moderators hid or removed, what suspended or limited profiles, suspended groups and
    // suspended remote actors organise, and what comes from suspended or limited domains is
    // never listed.
    let mut sql = format!(
        "e.visibility = 'public' AND e.draft = $1 AND e.members_only = 0 \
         AND e.hidden = 0 AND e.removed = 0 AND {} = 0 AND {} = 0 AND {} = 0 AND NOT {} \
         AND NOT {}",
        crate::profiles::suspended_sql("e.organizer"),
        crate::profiles::limited_sql("e.organizer"),
        crate::groups::suspended_sql("e.group_handle"),
        crate::domains::actor_suspended_sql("e.organizer"),
        covered_sql!("e.organizer", "'suspend', 'limit'")
    );
    let mut binds: Vec<String> = Vec::new();
    let mut param = |sql: &mut String, clause: &str, value: &str| {
        binds.push(value.to_string());
        sql.push_str(&clause.replace('?', &format!("${}", binds.len() + 1)));
    };
    if let Some(from) = &filter.from {
        param(&mut sql, " AND COALESCE(e.ends_at, e.begins_at) >= ?", from);
    }
    if let Some(to) = &filter.to {
        param(&mut sql, " AND e.begins_at < ?", to);
    }
    if let Some(category) = &filter.category {
        param(&mut sql, " AND e.category = ?", category);
    }
    if let Some(organiser) = &filter.organiser {
        // An event whose group hides its organiser is never listed under the member.
        param(
            &mut sql,
            " AND e.organizer = ? AND e.hide_organiser = 0",
            organiser,
        );
    }
    if let Some(group) = &filter.group {
        // Made for the group, or sent by it (a group elsewhere organises what it sends).
        param(
            &mut sql,
            " AND (e.group_handle = ? OR e.organizer = ?)",
            group,
        );
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        param(
            &mut sql,
            " AND LOWER(e.title) LIKE ? ESCAPE '\\'",
            &format!("%{pattern}%"),
        );
    }
    match filter.online {
        Some(true) => sql.push_str(" AND e.online = 1"),
        Some(false) => sql.push_str(" AND e.in_person = 1"),
        None => {}
    }
    if let Some(tag) = &filter.tag {
        param(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM event_tags t WHERE t.event_id = e.id AND t.tag = ?)",
            tag,
        );
    }
    (sql, binds)
}

/// A participation as organisers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipationView {
    pub id: String,
    pub event_id: String,
    /// The participant's profile; none for anonymous participants.
    pub profile: Option<String>,
    /// Set only for anonymous participants, and shown to organisers only.
    pub email: Option<String>,
    /// A participant on another instance: `name@host`, and their actor's id.
    pub remote: Option<String>,
    pub remote_actor: Option<String>,
    pub state: ParticipantState,
    pub message: Option<String>,
    /// Place on the waitlist, from 1, when waitlisted.
    pub waitlist_position: Option<i64>,
    pub joined_at: String,
    pub updated_at: String,
}

const PARTICIPATION_COLUMNS: &str = "p.id, p.event_id, p.profile, p.email, p.state, p.message, \
     p.waitlist_rank, p.joined_at, p.updated_at, p.remote_actor, p.remote_handle";

/// The order of an event's participations: everyone not waitlisted in the order they joined,
/// then the waitlist in its order.
const PARTICIPATION_ORDER: &str = "COALESCE(p.waitlist_rank, 0), p.joined_at, p.id";

/// The waitlist position of participation `p` alone, numbered as [`participations`] numbers the
/// whole list: 1 + the waitlisted participations of its event ahead of it in
/// [`PARTICIPATION_ORDER`]. NULL when `p` is not waitlisted.
const WAITLIST_POSITION: &str = "CASE WHEN p.state = 'waitlisted' THEN 1 + (\
     SELECT COUNT(*) FROM participations w WHERE w.event_id = p.event_id \
     AND w.state = 'waitlisted' \
     AND (COALESCE(w.waitlist_rank, 0) < COALESCE(p.waitlist_rank, 0) \
     OR (COALESCE(w.waitlist_rank, 0) = COALESCE(p.waitlist_rank, 0) \
     AND (w.joined_at < p.joined_at OR (w.joined_at = p.joined_at AND w.id < p.id))))\
     ) END AS waitlist_position";

/// Reads a row of [`PARTICIPATION_COLUMNS`], without its waitlist position.
fn participation_view(row: &AnyRow) -> Result<ParticipationView, Error> {
    Ok(ParticipationView {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        profile: row.try_get("profile")?,
        email: row.try_get("email")?,
        remote: row.try_get("remote_handle")?,
        remote_actor: row.try_get("remote_actor")?,
        state: known(row, "participations", "state", ParticipantState::parse)?,
        message: row.try_get("message")?,
        waitlist_position: None,
        joined_at: row.try_get("joined_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Reads a row of [`PARTICIPATION_COLUMNS`] followed by [`WAITLIST_POSITION`].
fn placed_participation_view(row: &AnyRow) -> Result<ParticipationView, Error> {
    Ok(ParticipationView {
        waitlist_position: row.try_get("waitlist_position")?,
        ..participation_view(row)?
    })
}

/// An event's participations: everyone not waitlisted in the order they joined, then the
/// waitlist in order, numbered; optionally only those in `state`.
pub async fn participations(
    pool: &AnyPool,
    event: &str,
    state: Option<ParticipantState>,
) -> Result<Vec<ParticipationView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {PARTICIPATION_COLUMNS} FROM participations p WHERE p.event_id = $1 \
         ORDER BY {PARTICIPATION_ORDER}"
    ))
    .bind(event)
    .fetch_all(pool)
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    let mut waiting = 0;
    for row in &rows {
        let mut view = participation_view(row)?;
        if view.state == ParticipantState::Waitlisted {
            waiting += 1;
            view.waitlist_position = Some(waiting);
        }
        if state.is_none_or(|s| s == view.state) {
            views.push(view);
        }
    }
    Ok(views)
}

/// Participation `id` of event `event`, with its waitlist position.
pub async fn participation(
    pool: &AnyPool,
    event: &str,
    id: &str,
) -> Result<Option<ParticipationView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {PARTICIPATION_COLUMNS}, {WAITLIST_POSITION} FROM participations p \
         WHERE p.event_id = $1 AND p.id = $2"
    ))
    .bind(event)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(placed_participation_view).transpose()
}

/// The participations of any of `profiles` in event `event` (how one account's profiles relate
/// to it), with their waitlist positions, in the order of [`participations`].
pub async fn participation_of_profiles(
    pool: &AnyPool,
    event: &str,
    profiles: &[String],
) -> Result<Vec<ParticipationView>, Error> {
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PARTICIPATION_COLUMNS}, {WAITLIST_POSITION} FROM participations p \
         WHERE p.event_id = $1 AND p.profile IN ({}) ORDER BY {PARTICIPATION_ORDER}",
        placeholders(2, profiles.len())
    );
    let mut query = sqlx::query(&sql).bind(event);
    for profile in profiles {
        query = query.bind(profile);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(placed_participation_view).collect()
}

/// The participations of any of `profiles`, across events, soonest event first, with their
/// waitlist positions.
pub async fn participations_of(
    pool: &AnyPool,
    profiles: &[String],
) -> Result<Vec<ParticipationView>, Error> {
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PARTICIPATION_COLUMNS}, {WAITLIST_POSITION} FROM participations p \
         JOIN events e ON e.id = p.event_id WHERE p.profile IN ({}) ORDER BY e.begins_at, e.id",
        placeholders(1, profiles.len())
    );
    let mut query = sqlx::query(&sql);
    for profile in profiles {
        query = query.bind(profile);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(placed_participation_view).collect()
}

/// `count` numbered placeholders from `$first`, comma-separated.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The participation whose confirmation or cancellation token hashes to `hash`, with its
/// waitlist position.
pub async fn participation_by_token(
    pool: &AnyPool,
    column: TokenKind,
    hash: &str,
) -> Result<Option<ParticipationView>, Error> {
    let column = match column {
        TokenKind::Confirm => "confirm_token",
        TokenKind::Cancel => "cancel_token",
    };
    let row = sqlx::query(&format!(
        "SELECT {PARTICIPATION_COLUMNS}, {WAITLIST_POSITION} FROM participations p \
         WHERE p.{column} = $1"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(placed_participation_view).transpose()
}

#[derive(Debug, Clone, Copy)]
pub enum TokenKind {
    Confirm,
    Cancel,
}

/// A comment as shown; a deleted one is a tombstone without body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentView {
    pub id: String,
    pub event_id: String,
    pub author: String,
    pub in_reply_to: Option<String>,
    pub body: Option<String>,
    pub announcement: bool,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted_at: Option<String>,
    /// Removed by the instance's moderators: shown as a tombstone (`body` is kept for
    /// moderators and taken out by the access policy for everyone else).
    pub removed_by_moderators: bool,
    /// Its author (or the author's account) is suspended: shown as a tombstone too.
    pub author_suspended: bool,
}

fn comment_view(row: &AnyRow) -> Result<CommentView, Error> {
    Ok(CommentView {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        author: row.try_get("author")?,
        in_reply_to: row.try_get("in_reply_to")?,
        body: row.try_get("body")?,
        announcement: flag_of(row, "announcement")?,
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
        deleted_at: row.try_get("deleted_at")?,
        removed_by_moderators: flag_of(row, "removed")?,
        author_suspended: flag_of(row, "author_suspended")?,
    })
}

// A remote author on a suspended domain, or suspended itself, counts as suspended.
const COMMENT_COLUMNS: &str = concat!(
    "id, event_id, author, in_reply_to, body, announcement, created_at, edited_at, deleted_at, \
     removed, (SELECT COUNT(*) FROM profiles sp WHERE sp.username = comments.author \
     AND (sp.suspended = 1 OR sp.account_suspended = 1)) \
     + (SELECT COUNT(*) FROM actor_decisions ad WHERE ad.handle = comments.author) + CASE WHEN ",
    covered_sql!("comments.author", "'suspend'"),
    " THEN 1 ELSE 0 END AS author_suspended"
);

/// An event's comments, oldest first (replies point at their parent).
pub async fn comments(pool: &AnyPool, event: &str) -> Result<Vec<CommentView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE event_id = $1 ORDER BY created_at, id"
    ))
    .bind(event)
    .fetch_all(pool)
    .await?;
    rows.iter().map(comment_view).collect()
}

pub async fn comment(pool: &AnyPool, id: &str) -> Result<Option<CommentView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(comment_view).transpose()
}
