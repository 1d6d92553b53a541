//! Reports across instances. A report on another instance's event, comments or actor names
//! that instance (the queue filters by it) and may be forwarded there: the outbox derives a
//! `Flag` from this instance's actor, so the reporter is never named elsewhere. A `Flag` another
//! instance sends about content of this one becomes a report in the queue, its reporter
//! unnamed, unless administrators reject that domain's reports.

use crate::auth::{Origin, Session};
use crate::error::{Error, Result};
use crate::remote_events::{derived_id, FromRemote};
use crate::AppState;
use crate::{access, consistency};
use convene_domain::report::{ActorSnapshot, Category, Federated, Forward, Target, COMMENTS_MAX};
use convene_domain::report::{ReportError, COMMENT_MAX};
use convene_domain::text::{plain_text, shorten};
use convene_domain::{Event, EventChange, ReportCommand};
use convene_projections::domains::{self, host_of_url};
use convene_projections::log::EventLog;
use convene_projections::read_model::REPORTS;
use convene_projections::{events, groups, profiles, reports};
use cqrs_es::Aggregate;
use std::collections::BTreeSet;

/// What a report on `target` records of other instances; `forward` asks to send it on.
pub(super) async fn federated(
    state: &AppState,
    target: &Target,
    forward: bool,
) -> Result<Federated> {
    let refused = |message: String| Err(Error::invalid_field("forward", message));
    let Some(reported) = reported_elsewhere(state, target).await? else {
        if forward {
            return refused(
                "only a report on another instance's event or actor, or on comments all written \
                 on one other instance, can be sent there"
                    .into(),
            );
        }
        return Ok(Federated::default());
    };
    let forward = match forward {
        false => None,
        true => {
            let pool = state.db.pool();
            let mut inbox = None;
            for actor in &reported.actors {
                inbox = domains::remote_inbox(pool, actor).await?;
                if inbox.is_some() {
                    break;
                }
            }
            let Some(inbox) = inbox.or(reported.inbox) else {
                return refused(format!(
                    "where {} takes reports is not known here",
                    reported.instance
                ));
            };
            Some(Forward {
                actors: reported.actors,
                objects: reported.objects,
                inbox,
            })
        }
    };
    Ok(Federated {
        flag: None,
        instance: Some(reported.instance),
        forward,
    })
}

/// The other instance `target` comes from, when it does: where a report on it may be sent.
pub async fn reported_instance(state: &AppState, target: &Target) -> Result<Option<String>> {
    Ok(reported_elsewhere(state, target)
        .await?
        .map(|elsewhere| elsewhere.instance))
}

/// The other instance's actors whose content `target` is (none for this instance's content):
/// what moderators may suspend here from the report.
pub async fn reported_actors(state: &AppState, target: &Target) -> Result<Vec<String>> {
    Ok(reported_elsewhere(state, target)
        .await?
        .map(|elsewhere| elsewhere.actors)
        .unwrap_or_default())
}

/// Another instance's content, as a `Flag` about it names it.
struct Elsewhere {
    instance: String,
    /// The actors whose content it is.
    actors: Vec<String>,
    /// The ActivityPub ids of the event or the comments.
    objects: Vec<String>,
    /// Where the event's organiser takes activities, when it was recorded.
    inbox: Option<String>,
}

/// The actor a report names by `who`, as a report on it keeps it: the actor known here by that
/// id, else the actor `who` names (`name@host`, `@name@host` or its URL) looked up on its
/// instance (WebFinger, then its document, which this instance keeps from then on), for
/// `session` (or an anonymous reporter from `origin`, limited per address like every lookup).
/// Refused on `target.url` with the reason when it cannot be found.
pub async fn actor_named(
    state: &AppState,
    session: Option<&Session>,
    origin: &Origin,
    who: &str,
) -> Result<ActorSnapshot> {
    let who = who.trim();
    if let Some(host) = host_of_url(who).or_else(|| who.rsplit_once('@').map(|(_, h)| h.into())) {
        not_here(state, who, &host)?;
    }
    if let Some(snapshot) = reports::known_actor(state.db.pool(), who).await? {
        return Ok(snapshot);
    }
    // An instance that does not federate knows only the actors it was given.
    if state.actor_resolver.is_none() {
        return known_actor(state, who).await;
    }
    let resolver = crate::groups_elsewhere::resolver(state, session, origin, "target.url")?;
    match resolver.find_actor(who).await {
        Ok(actor) => known_actor(state, &actor.id).await,
        Err(reason) => Err(Error::invalid_field("target.url", reason)),
    }
}

/// Refuses an actor `who` names on `host` when that is this instance: its profiles and groups
/// are reported by name.
fn not_here(state: &AppState, who: &str, host: &str) -> Result<()> {
    if host_of_url(&state.config.public_url).as_deref() == Some(host) {
        return Err(Error::invalid_field(
            "target.url",
            format!(
                "{who} is on this instance: report one of its profiles by username or a group \
                 by handle"
            ),
        ));
    }
    Ok(())
}

/// Another instance's actor, as the `remote_actors` cache knows it: what a report on it keeps.
/// Refused (422 naming `target.url`) when the actor is not known here, or is this instance's.
pub async fn known_actor(state: &AppState, url: &str) -> Result<ActorSnapshot> {
    let refused = |message: String| Err(Error::invalid_field("target.url", message));
    let Some(host) = host_of_url(url) else {
        return refused(format!(
            "`{url}` is not an actor's URL: give the https:// address of another instance's \
             profile or group"
        ));
    };
    not_here(state, url, &host)?;
    match reports::known_actor(state.db.pool(), url).await? {
        Some(snapshot) => Ok(snapshot),
        None => refused(format!(
            "{url} is not an actor known here: only profiles and groups of other instances \
             that this instance has met (followed, followers, organisers, authors) can be \
             reported; give the actor's id, as its instance names it"
        )),
    }
}

/// The other instance's actor who wrote comment `comment` of event `event`, for a reader who
/// may see that comment (404 otherwise); none when it was written here. What a comment's
/// "report its author" link reports.
pub async fn remote_author(
    state: &AppState,
    session: Option<&Session>,
    event: &str,
    comment: &str,
) -> Result<Option<String>> {
    let (_, viewer) = access::event_for(state, session, event).await?;
    let readable = access::comments_for(viewer, events::comments(state.db.pool(), event).await?);
    if !readable.iter().any(|c| c.id == comment) {
        return Err(Error::not_found(format!(
            "there is no comment {comment} on this event"
        )));
    }
    // Comments' read model keeps the author's handle; the actor's id is in the log, where a
    // report on the comment finds it too.
    let target = Target::Comments {
        event: event.to_string(),
        comments: vec![comment.to_string()],
    };
    Ok(reported_actors(state, &target).await?.into_iter().next())
}

/// The other instance `target` comes from, if it does: a remote event, comments all written
/// on one other instance, or an actor of another instance known here.
async fn reported_elsewhere(state: &AppState, target: &Target) -> Result<Option<Elsewhere>> {
    let pool = state.db.pool();
    match target {
        Target::Event { id } => {
            if events::find(pool, id)
                .await?
                .and_then(|e| e.origin)
                .is_none()
            {
                return Ok(None);
            }
            // The organiser's inbox is kept in the log, as the event was imported.
            let log = EventLog::new(&state.db).aggregate(Event::TYPE, id).await?;
            let Some(EventChange::Imported { origin, .. }) =
                log.first().map(|first| first.change()).transpose()?
            else {
                return Ok(None);
            };
            Ok(Some(Elsewhere {
                instance: origin.host().to_string(),
                actors: vec![origin.actor],
                objects: vec![origin.object],
                inbox: origin.inbox,
            }))
        }
        Target::Comments { event, comments } => {
            let mut authors = Vec::new();
            for stored in EventLog::new(&state.db)
                .aggregate(Event::TYPE, event)
                .await?
            {
                if let EventChange::RemoteCommentPosted {
                    comment, author, ..
                } = stored.change()?
                {
                    if comments.contains(&comment) {
                        authors.push(author);
                    }
                }
            }
            // Comments written here, or on several instances, are no one other instance's.
            let instance = authors.first().and_then(|a| host_of_url(&a.actor));
            let one_instance = authors.len() == comments.len()
                && authors.iter().all(|a| host_of_url(&a.actor) == instance);
            let Some(instance) = instance.filter(|_| one_instance) else {
                return Ok(None);
            };
            let actors: BTreeSet<String> = authors.iter().map(|a| a.actor.clone()).collect();
            Ok(Some(Elsewhere {
                instance,
                actors: actors.into_iter().collect(),
                objects: authors.into_iter().map(|a| a.note).collect(),
                inbox: None,
            }))
        }
        Target::RemoteActor { url } => {
            let ours = host_of_url(&state.config.public_url);
            let Some(instance) = host_of_url(url).filter(|host| Some(host) != ours.as_ref()) else {
                return Ok(None);
            };
            // Known here: where it takes activities is in the cache.
            let Some(inbox) = domains::remote_inbox(pool, url).await? else {
                return Ok(None);
            };
            Ok(Some(Elsewhere {
                instance,
                actors: vec![url.clone()],
                objects: Vec::new(),
                inbox: Some(inbox),
            }))
        }
        Target::Profile { .. } | Target::Group { .. } => Ok(None),
    }
}

/// A `Flag` another instance sent: its id, the ids it names, and what it says.
#[derive(Debug, Clone)]
pub struct ReceivedReport {
    pub flag: String,
    pub objects: Vec<String>,
    pub comment: String,
}

/// What became of a received `Flag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// Filed as the report with this id.
    Filed(String),
    /// Not filed, and why (nothing of this instance named, the domain's reports rejected, sent
    /// before).
    Ignored(String),
}

/// Files the report a `Flag` from `from` makes, on the first content of this instance it names:
/// comments (of one event) before an event, before a group or a profile. The category and rules
/// stay on the sending instance; the text is kept as plain text.
pub async fn receive(
    state: &AppState,
    from: &FromRemote,
    received: ReceivedReport,
) -> Result<Receipt> {
    let host = host_of_url(&from.actor).unwrap_or_default();
    if domains::rejects_reports(state.db.pool(), &host).await? {
        return Ok(Receipt::Ignored(format!(
            "reports from {host} are rejected here"
        )));
    }
    let Some(target) = local_target(state, &received.objects).await? else {
        return Ok(Receipt::Ignored(
            "the Flag names nothing of this instance".into(),
        ));
    };
    let evidence = EventLog::new(&state.db).head().await?.position;
    let comment = shorten(&plain_text(&received.comment), COMMENT_MAX);
    // One report per Flag, however many times it is delivered.
    let id = derived_id("report", &received.flag);
    let command = ReportCommand::File {
        reporter: None,
        target,
        category: Category::Other,
        comment,
        evidence,
        federated: Federated {
            flag: Some(received.flag),
            ..Federated::default()
        },
        snapshot: None,
    };
    let metadata = from.metadata();
    match consistency::command(state, &state.reports, &id, command, &metadata, &[REPORTS]).await {
        Ok(_) => Ok(Receipt::Filed(id)),
        Err(Error::Report(ReportError::AlreadyFiled)) => {
            Ok(Receipt::Ignored("this Flag was received before".into()))
        }
        Err(error) => Err(error),
    }
}

/// The most precise local target among `objects`.
async fn local_target(state: &AppState, objects: &[String]) -> Result<Option<Target>> {
    let pool = state.db.pool();
    let base = state.config.public_url.trim_end_matches('/');
    let local = |prefix: &str, id: &str| -> Option<String> {
        id.strip_prefix(&format!("{base}{prefix}"))
            .filter(|rest| !rest.is_empty() && !rest.contains(['/', '?', '#']))
            .map(str::to_string)
    };
    let (mut event, mut comments, mut group, mut profile) = (None, Vec::new(), None, None);
    for object in objects {
        if let Some(id) = local("/comments/", object) {
            if let Some(comment) = events::comment(pool, &id).await? {
                let of = comment.event_id.clone();
                if comments.is_empty() || event_of_comments(&comments) == Some(of.as_str()) {
                    comments.push((of, comment.id));
                }
            }
        } else if let Some(id) = local("/events/", object) {
            if event.is_none() && events::find(pool, &id).await?.is_some() {
                event = Some(id);
            }
        } else if let Some(name) = local("/@", object) {
            if group.is_none() && groups::find(pool, &name).await?.is_some() {
                group = Some(name);
            } else if profile.is_none() && profiles::find(pool, &name).await?.is_some() {
                profile = Some(name);
            }
        }
    }
    if let Some(of) = event_of_comments(&comments).map(str::to_string) {
        comments.truncate(COMMENTS_MAX);
        return Ok(Some(Target::Comments {
            event: of,
            comments: comments.into_iter().map(|(_, id)| id).collect(),
        }));
    }
    Ok(event
        .map(|id| Target::Event { id })
        .or(group.map(|handle| Target::Group { handle }))
        .or(profile.map(|username| Target::Profile { username })))
}

fn event_of_comments(comments: &[(String, String)]) -> Option<&str> {
    comments.first().map(|(event, _)| event.as_str())
}
