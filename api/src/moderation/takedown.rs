//! Removing everything another instance's actor or domain sent here, in one decision, and
//! restoring what such a decision removed. Each event and comment gets its own removal (the
//! same change a single `remove` records), with the moderator, the reason (prefixed with what
//! the decision was on) and the report, and the metadata key `bulk_decision` naming the actor's
//! or domain's aggregate; unlike a suspension, lifting nothing brings them back. The decision
//! itself is recorded last on that aggregate with its counts, for the audit trail.
//!
//! Objects are decided on one by one in pages of [`BATCH`]; a failure part-way leaves those done
//! removed (each its own change) and the rest as they were, so deciding again finishes the job:
//! what is already removed is skipped, never removed twice.

use super::{DecisionMade, NewDecision};
use crate::auth::Session;
use crate::consistency;
use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::moderation::{BulkContentAction, ContentAction, ContentCounts, Decision};
use convene_domain::{
    Event, EventChange, EventCommand, EventError, Metadata, RemoteActor, RemoteActorCommand,
    RemoteDomain, RemoteDomainCommand,
};
use convene_projections::log::{EventLog, StoredEvent};
use convene_projections::read_model::{DOMAIN_DECISIONS, EVENTS};
use convene_projections::sent::{self, Sender};
use convene_projections::{domains, reports};
use cqrs_es::Aggregate;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;

/// Events or comments read and decided on per page.
pub const BATCH: i64 = 100;

/// Whose content a decision is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum From {
    /// Another instance's actor, by its URL.
    Actor(String),
    /// A domain, as `normalise_domain` writes it.
    Domain(String),
}

/// The sender resolved: how its content names it and how the log names the decision.
struct Whose {
    from: From,
    /// The actor's handle (`name@host`); empty for a domain.
    handle: String,
    /// `@name@host`, or the domain.
    shown: String,
    /// The aggregate recording the decision, as `bulk_decision` names it.
    reference: String,
}

impl Whose {
    fn sender(&self) -> Sender<'_> {
        match &self.from {
            From::Actor(url) => Sender::Actor {
                url,
                handle: &self.handle,
            },
            From::Domain(domain) => Sender::Domain(domain),
        }
    }
}

/// Told what was decided so far, after each page of events or comments.
pub type Progress<'a> = &'a (dyn Fn(&ContentCounts) + Sync);

/// Who decides: a moderator's session, or the instance itself (the operator at the server's
/// shell, standing for its administrators: no moderator, the command line's metadata), who is
/// told how far it got as it goes.
pub enum Decider<'a> {
    Moderator(&'a Session),
    Instance(&'a Metadata, Progress<'a>),
}

impl Decider<'_> {
    fn moderator(&self) -> Option<String> {
        match self {
            Decider::Moderator(session) => Some(session.account.id.clone()),
            Decider::Instance(..) => None,
        }
    }

    fn metadata(&self) -> Metadata {
        match self {
            Decider::Moderator(session) => session.metadata(),
            Decider::Instance(metadata, _) => (*metadata).clone(),
        }
    }

    fn tell(&self, counts: &ContentCounts) {
        if let Decider::Instance(_, progress) = self {
            progress(counts);
        }
    }
}

/// `by`'s decision `action` on everything `from` sent (the caller checked the role and that
/// `new` asks this of `from`); refused decisions write nothing.
pub(super) async fn decide(
    state: &AppState,
    by: Decider<'_>,
    from: From,
    action: BulkContentAction,
    new: &NewDecision,
) -> Result<DecisionMade> {
    if new.until.as_deref().is_some_and(|u| !u.trim().is_empty()) {
        return Err(Error::invalid_field(
            "until",
            "removing or restoring everything sent does not end by itself",
        ));
    }
    let decision = Decision::by_moderator(
        by.moderator().unwrap_or_default(),
        &new.reason,
        new.report.clone(),
        None,
        OffsetDateTime::now_utc(),
    )
    .and_then(|d| d.with_public_comment(new.public_comment.as_deref()))
    .map_err(|e| Error::Invalid(vec![e]))?;
    let decision = Decision {
        moderator: by.moderator(),
        ..decision
    };
    let pool = state.db.pool();
    if let Some(report) = &decision.report {
        if reports::find(pool, report).await?.is_none() {
            return Err(Error::invalid_field(
                "report",
                format!("there is no report {report}"),
            ));
        }
    }
    let whose = match from {
        From::Actor(url) => {
            let handle = domains::remote_handle(pool, &url).await?.ok_or_else(|| {
                Error::invalid_field(
                    "target.actor",
                    format!("there is no actor {url} known here"),
                )
            })?;
            Whose {
                shown: format!("@{handle}"),
                reference: format!("{}/{url}", RemoteActor::TYPE),
                from: From::Actor(url),
                handle,
            }
        }
        From::Domain(domain) => Whose {
            shown: domain.clone(),
            reference: format!("{}/{domain}", RemoteDomain::TYPE),
            from: From::Domain(domain),
            handle: String::new(),
        },
    };
    let done = match action {
        BulkContentAction::RemoveContent => "removed",
        BulkContentAction::RestoreContent => "restored",
    };
    // Each object's history tells why, and that it went with everything its sender sent.
    let step = Decision {
        reason: format!(
            "{done} with everything {} sent: {}",
            whose.shown, decision.reason
        ),
        public_comment: None,
        ..decision.clone()
    };
    let metadata = by
        .metadata()
        .with_reason(step.reason.clone())
        .with_bulk_decision(whose.reference.clone());
    let progress = |counts: &ContentCounts| by.tell(counts);
    let counts = decide_all(state, &whose, action, (&step, &metadata), &progress).await?;
    let metadata = by.metadata().with_reason(decision.reason.clone());
    let reads = &[EVENTS, DOMAIN_DECISIONS];
    let made = DecisionMade {
        position: 0,
        change: String::new(),
        target: new.target.clone(),
        reason: decision.reason.clone(),
        report: decision.report.clone(),
        until: None,
        content: Some(counts),
    };
    let (position, change) = match &whose.from {
        From::Actor(url) => {
            let command = RemoteActorCommand::RecordContent {
                action,
                decision,
                handle: whose.handle.clone(),
                counts,
            };
            let at =
                consistency::command(state, &state.remote_actors, url, command, &metadata, reads);
            (at.await?, "RemoteActorContent")
        }
        From::Domain(domain) => {
            let command = RemoteDomainCommand::RecordContent {
                action,
                decision,
                counts,
            };
            let at = consistency::command(state, &state.domains, domain, command, &metadata, reads);
            (at.await?, "DomainContent")
        }
    };
    let change = format!(
        "{change}{}",
        if action == BulkContentAction::RemoveContent {
            "Removed"
        } else {
            "Restored"
        }
    );
    Ok(DecisionMade {
        position,
        change,
        ..made
    })
}

/// Whether a refusal only says the object needs nothing (already removed or restored, deleted
/// meanwhile): skipped, not a failure.
fn nothing_to_do(error: &Error) -> bool {
    matches!(
        error,
        Error::Event(
            EventError::AlreadyDecided(_) | EventError::NotFound | EventError::UnknownComment
        )
    )
}

/// Decides `action` on event `id`; whether it changed it.
async fn decide_one(
    state: &AppState,
    id: &str,
    action: ContentAction,
    step: &Decision,
    metadata: &Metadata,
    last: &mut i64,
) -> Result<bool> {
    let command = EventCommand::Moderate {
        action,
        decision: step.clone(),
    };
    match state.events.execute_retrying(id, command, metadata).await {
        Ok(position) => {
            *last = position;
            Ok(true)
        }
        Err(error) => {
            let error = Error::from(error);
            if nothing_to_do(&error) {
                Ok(false)
            } else {
                Err(error)
            }
        }
    }
}

/// Decides on `comments` of one event in one change when it can, else one by one (one of them
/// decided meanwhile); how many it changed.
async fn decide_comments(
    state: &AppState,
    event: &str,
    actions: Vec<ContentAction>,
    step: &Decision,
    metadata: &Metadata,
    last: &mut i64,
) -> Result<u64> {
    let command = EventCommand::ModerateAll {
        actions: actions.clone(),
        decision: step.clone(),
    };
    match state
        .events
        .execute_retrying(event, command, metadata)
        .await
    {
        Ok(position) => {
            *last = position;
            return Ok(actions.len() as u64);
        }
        Err(error) => {
            let error = Error::from(error);
            if !nothing_to_do(&error) {
                return Err(error);
            }
        }
    }
    let mut changed = 0;
    for action in actions {
        if decide_one(state, event, action, step, metadata, last).await? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Removes every event and comment `whose` sent that is not removed yet (`action`
/// `remove_content`), or restores every one a decision on everything it sent removed, and only
/// those (`restore_content`): one way through its events, then its comments, a page at a time.
/// What needs nothing is counted as left as it was; a restore passes over what is not removed.
async fn decide_all(
    state: &AppState,
    whose: &Whose,
    action: BulkContentAction,
    (step, metadata): (&Decision, &Metadata),
    progress: Progress<'_>,
) -> Result<ContentCounts> {
    let pool = state.db.pool();
    let log = EventLog::new(&state.db);
    let restore = action == BulkContentAction::RestoreContent;
    // Whether the decision on everything `whose` sent made the removals in force on `event`.
    let removals = |event: String| {
        let log = &log;
        async move { removed_by(&log.aggregate(Event::TYPE, &event).await?, &whose.reference) }
    };
    let mut counts = ContentCounts::default();
    let mut last = 0;
    let mut after = String::new();
    loop {
        let page = sent::events(pool, whose.sender(), &after, BATCH).await?;
        let Some(end) = page.last() else { break };
        after.clone_from(&end.id);
        for event in &page {
            let wanted = match (restore, event.removed) {
                (false, false) => Some(ContentAction::Remove),
                (false, true) => None,
                (true, false) => continue,
                (true, true) => {
                    let ours = removals(event.id.clone()).await?.get(&None) == Some(&true);
                    ours.then_some(ContentAction::Restore)
                }
            };
            let changed = match wanted {
                Some(wanted) => {
                    decide_one(state, &event.id, wanted, step, metadata, &mut last).await?
                }
                None => false,
            };
            if changed {
                counts.events += 1;
            } else {
                counts.skipped_events += 1;
            }
        }
        progress(&counts);
    }
    after.clear();
    loop {
        let page = sent::comments(pool, whose.sender(), &after, BATCH).await?;
        let Some(end) = page.last() else { break };
        after.clone_from(&end.id);
        let mut by_event: BTreeMap<&str, Vec<&sent::Sent>> = BTreeMap::new();
        for comment in &page {
            by_event.entry(&comment.event_id).or_default().push(comment);
        }
        for (event, comments) in by_event {
            let removed = if restore && comments.iter().any(|c| c.removed) {
                removals(event.to_string()).await?
            } else {
                HashMap::new()
            };
            let mut actions = Vec::new();
            for found in comments {
                let comment = found.id.clone();
                match (restore, found.removed) {
                    (false, false) => actions.push(ContentAction::RemoveComment { comment }),
                    (true, false) => {}
                    (true, true) if removed.get(&Some(comment.clone())) == Some(&true) => {
                        actions.push(ContentAction::RestoreComment { comment })
                    }
                    (_, true) => counts.skipped_comments += 1,
                }
            }
            if actions.is_empty() {
                continue;
            }
            let asked = actions.len() as u64;
            let changed = decide_comments(state, event, actions, step, metadata, &mut last).await?;
            counts.comments += changed;
            counts.skipped_comments += asked - changed;
        }
        progress(&counts);
    }
    consistency::caught_up(state, &[EVENTS], last).await;
    Ok(counts)
}

/// Which of an event's removals (the event itself: `None`; a comment: its id) were last made by
/// the decision `reference` and are still in force.
fn removed_by(log: &[StoredEvent], reference: &str) -> Result<HashMap<Option<String>, bool>> {
    let mut last = HashMap::new();
    for stored in log {
        let Ok(EventChange::Moderated { action, .. }) = stored.change::<EventChange>() else {
            continue;
        };
        let (key, removal) = match action {
            ContentAction::Remove => (None, true),
            ContentAction::Restore => (None, false),
            ContentAction::RemoveComment { comment } => (Some(comment), true),
            ContentAction::RestoreComment { comment } => (Some(comment), false),
            _ => continue,
        };
        let by_it = removal && stored.metadata()?.bulk_decision.as_deref() == Some(reference);
        last.insert(key, by_it);
    }
    Ok(last)
}
