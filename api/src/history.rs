//! An event's history: every change in order with who made it, when and from where — the audit
//! trail organisers and moderators read. Actors appear as profiles, never as accounts.

use crate::access;
use crate::auth::Session;
use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::event::Participant;
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::ContentAction;
use convene_domain::{Actor, Event, EventChange};
use convene_projections::events;
use convene_projections::log::EventLog;
use cqrs_es::Aggregate;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// One change in an event's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Its place in the instance's log.
    pub position: i64,
    pub at: String,
    /// The change, such as EventPublished or ParticipantApproved.
    pub change: String,
    /// `@username`, `anonymous`, `system`, or a remote actor's id.
    pub actor: String,
    /// web, api, cli, or federation (with the activity id).
    pub source: String,
    pub reason: Option<String>,
    /// What happened, in words.
    pub summary: String,
}

fn who(participant: &Participant) -> String {
    match participant {
        Participant::Profile(username) => format!("@{username}"),
        Participant::Anonymous { .. } => "an anonymous participant".into(),
        Participant::Remote(remote) => format!("@{}", remote.handle),
    }
}

/// The change in words; `people` maps participation ids to who they are.
fn summary(change: &EventChange, people: &HashMap<String, String>) -> String {
    let person = |id: &String| people.get(id).cloned().unwrap_or_else(|| "someone".into());
    match change {
        EventChange::Created { details, draft, .. } => {
            format!(
                "created \"{}\"{}",
                details.title,
                if *draft { " as a draft" } else { "" }
            )
        }
        EventChange::Imported { origin, details } => {
            format!("received \"{}\" from {}", details.title, origin.host())
        }
        EventChange::Updated { fields, .. } => format!("changed {}", fields.join(", ")),
        EventChange::OrganisedByGroup { group } => {
            format!("organised it for the group @{}", group.handle)
        }
        EventChange::GroupOptionsChanged { group } => {
            let yes = |b: bool| if b { "yes" } else { "no" };
            format!(
                "changed how the group shows it: members only {}, organiser hidden {}",
                yes(group.members_only),
                yes(group.hide_organiser)
            )
        }
        EventChange::PictureSet { picture } => format!("showed a picture: \"{}\"", picture.alt),
        EventChange::PictureRemoved => "removed the picture".into(),
        EventChange::Published => "published the event".into(),
        EventChange::Cancelled => "cancelled the event".into(),
        EventChange::Deleted => "deleted the event".into(),
        EventChange::Joined { who: w, state, .. } => {
            format!("{} joined ({})", who(w), state.as_str())
        }
        EventChange::Confirmed {
            participation,
            state,
        } => {
            format!(
                "{} confirmed by email ({})",
                person(participation),
                state.as_str()
            )
        }
        EventChange::Left { participation } => format!("{} left", person(participation)),
        EventChange::Approved {
            participation,
            state,
        } => {
            format!("approved {} ({})", person(participation), state.as_str())
        }
        EventChange::Rejected { participation } => format!("rejected {}", person(participation)),
        EventChange::Promoted { participation } => {
            format!("{} got a seat from the waitlist", person(participation))
        }
        EventChange::RoleChanged {
            participation,
            role,
        } => {
            format!("made {} {}", person(participation), role.as_str())
        }
        EventChange::CommentPosted {
            announcement,
            in_reply_to,
            ..
        } => match (announcement, in_reply_to) {
            (true, _) => "posted an announcement".into(),
            (false, Some(_)) => "replied to a comment".into(),
            (false, None) => "commented".into(),
        },
        EventChange::RemoteCommentPosted { author, .. } => {
            format!("{} commented from another instance", author.handle)
        }
        EventChange::RemoteActorDescribed { handle, name, .. } => match name {
            Some(name) => format!("{handle} updated its profile on its instance ({name})"),
            None => format!("{handle} updated its profile on its instance"),
        },
        EventChange::CommentEdited { .. } => "edited a comment".into(),
        EventChange::CommentDeleted { .. } => "deleted a comment".into(),
        // Moderators are never named here: the decision is the instance's.
        EventChange::Moderated { action, decision } => {
            let what = match action {
                ContentAction::Hide => "hid the event from public listings and search",
                ContentAction::Unhide => "listed the event again",
                ContentAction::Remove => "removed the event",
                ContentAction::Restore => "restored the event",
                ContentAction::CloseComments => "closed the comments",
                ContentAction::ReopenComments => "reopened the comments",
                ContentAction::RemoveComment { .. } => "removed a comment",
                ContentAction::RestoreComment { .. } => "restored a comment",
            };
            let until = decision
                .until
                .as_ref()
                .map(|u| format!(" until {u}"))
                .unwrap_or_default();
            format!("the instance's moderators {what}{until}")
        }
    }
}

fn actor(actor: &Actor) -> String {
    match actor {
        Actor::Account {
            profile: Some(profile),
            ..
        } => format!("@{profile}"),
        // An account acting as no profile is still never named.
        Actor::Account { profile: None, .. } => "an account".into(),
        Actor::Remote { actor } => actor.clone(),
        Actor::Anonymous => "anonymous".into(),
        Actor::System => "system".into(),
    }
}

/// Event `id`'s changes in order, for its organisers and the instance's moderators.
pub async fn event_history(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Vec<HistoryEntry>> {
    let log = EventLog::new(&state.db).aggregate(Event::TYPE, id).await?;
    if log.is_empty() {
        return Err(Error::not_found("there is no such event"));
    }
    let viewer = access::viewer(state, Some(&session.account), id).await?;
    // Drafts and private events stay hidden (not found) from those who may not see them.
    if events::find(state.db.pool(), id).await?.is_some() {
        access::visible(state, viewer, id).await?;
    }
    access::may_read_history(viewer)?;
    let mut people: HashMap<String, String> = HashMap::new();
    let mut entries = Vec::with_capacity(log.len());
    for stored in &log {
        let change: EventChange = stored.change()?;
        let metadata = stored.metadata()?;
        match &change {
            EventChange::Created {
                organiser,
                creator_participation,
                ..
            } => {
                people.insert(creator_participation.clone(), format!("@{organiser}"));
            }
            EventChange::Joined {
                participation,
                who: w,
                ..
            } => {
                people.insert(participation.clone(), who(w));
            }
            _ => {}
        }
        entries.push(HistoryEntry {
            position: stored.position,
            at: format_timestamp(metadata.recorded_at),
            change: stored.event_type.clone(),
            actor: actor(&metadata.actor),
            source: metadata.source.to_string(),
            reason: metadata.reason.clone(),
            summary: summary(&change, &people),
        });
    }
    Ok(entries)
}
