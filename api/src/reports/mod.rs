//! Reports: anyone signed in (and anyone at all when the instance allows anonymous reports)
//! tells the moderators about a profile, an event, comments, a group or another instance's
//! actor; moderators work the
//! queue, take reports, write internal notes and resolve or close them with a reason. The
//! reporter is told (a notification derived from the log, mailed in their language) that the
//! report was handled — never by whom. Nothing
//! here is visible to anyone but moderators, the reported person least of all.

use crate::access;
use crate::auth::{Acting, Origin, Session};
use crate::consistency;
use crate::error::{Error, Result};
use crate::objects::{self, CommentAsOf, ObjectAsOf, ObjectChange};
use crate::throttle::{self, Action};
use crate::AppState;
use convene_domain::report::{ActorSnapshot, Category, Federated, ReportState, Target};
use convene_domain::{RemoteActor, Report, ReportChange, ReportCommand};
use convene_projections::log::EventLog;
use convene_projections::read_model::REPORTS;
use convene_projections::reports::{self, QueueFilter, ReportRow};
use convene_projections::{events, groups, profiles};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod remote;
pub use remote::{
    known_actor, receive, remote_author, reported_actors, reported_instance, Receipt,
    ReceivedReport,
};

/// Whether people without an account may report (off unless the instance turns it on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportPolicy {
    pub anonymous: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub target: Target,
    pub category: Category,
    /// What the moderators should know (at most 2,000 characters).
    #[serde(default)]
    pub comment: String,
    /// Also send the report to the instance the reported event, comments or actor come from,
    /// from this instance's actor (the reporter is not named there). Only for another
    /// instance's content or actor.
    #[serde(default)]
    pub forward: bool,
}

/// What the reporter gets back: the report exists, nothing more.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledReport {
    pub id: String,
    pub state: ReportState,
}

/// Who files a report.
pub enum Reporter {
    /// Boxed: a session is much larger than an anonymous origin.
    Profile(Box<Acting>),
    Anonymous(Origin),
}

/// Files a report on `new.target`, capturing the log's head as evidence.
pub async fn file(state: &AppState, reporter: Reporter, new: NewReport) -> Result<FiledReport> {
    let (session, metadata, profile) = match &reporter {
        Reporter::Profile(acting) => (
            Some(&acting.session),
            acting.metadata(),
            Some(acting.profile.clone()),
        ),
        Reporter::Anonymous(origin) if state.reports_policy.anonymous => {
            // Every report stays in the log for good: one address cannot file them unbounded.
            state
                .throttle
                .check(Action::AnonymousReport, origin.ip, None)
                .map_err(throttle::refused)?;
            (None, origin.anonymous(), None)
        }
        Reporter::Anonymous(_) => {
            return Err(Error::Unauthenticated(
                "log in to report: this instance does not take anonymous reports".into(),
            ))
        }
    };
    let mut new = new;
    // The actor another instance's report names is found once, and kept as it is now.
    let snapshot = match &new.target {
        Target::RemoteActor { url } => {
            let origin = match &reporter {
                Reporter::Profile(acting) => &acting.session.origin,
                Reporter::Anonymous(origin) => origin,
            };
            let snapshot = remote::actor_named(state, session, origin, url).await?;
            new.target = Target::RemoteActor {
                url: snapshot.id.clone(),
            };
            Some(Box::new(snapshot))
        }
        target => {
            target_exists(state, session, target).await?;
            None
        }
    };
    named_rules_exist(state, &new.category).await?;
    let federated = remote::federated(state, &new.target, new.forward).await?;
    let evidence = EventLog::new(&state.db).head().await?.position;
    let id = uuid::Uuid::new_v4().to_string();
    let command = ReportCommand::File {
        reporter: profile,
        target: new.target,
        category: new.category,
        comment: new.comment,
        evidence,
        federated,
        snapshot,
    };
    consistency::command(state, &state.reports, &id, command, &metadata, &[REPORTS]).await?;
    Ok(FiledReport {
        id,
        state: ReportState::Open,
    })
}

/// A report naming broken rules names rules the instance has (by id), once it has any.
async fn named_rules_exist(state: &AppState, category: &Category) -> Result<()> {
    let Category::RuleViolation { rules } = category else {
        return Ok(());
    };
    let in_force = crate::instance::settings(state).await?.rules;
    if in_force.is_empty() {
        return Ok(());
    }
    let unknown: Vec<&str> = rules
        .iter()
        .map(|r| r.trim())
        .filter(|r| !in_force.iter().any(|rule| rule.id.to_string() == *r))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = in_force
        .iter()
        .map(|r| format!("{} ({})", r.id, r.text))
        .collect();
    Err(Error::invalid_field(
        "rules",
        format!(
            "this instance has no rule {}: name rules by their ids, among {}",
            unknown.join(", "),
            known.join("; ")
        ),
    ))
}

/// The target is there and the reporter may see it (a private event is as missing); for
/// another instance's actor, what is known of it here.
async fn target_exists(state: &AppState, session: Option<&Session>, target: &Target) -> Result<()> {
    let pool = state.db.pool();
    match target {
        Target::Profile { username } => {
            if profiles::find(pool, username).await?.is_none() {
                return Err(Error::not_found(format!("there is no profile @{username}")));
            }
        }
        Target::Event { id } => {
            access::event_for(state, session, id).await?;
        }
        Target::Comments { event, comments } => {
            let (_, viewer) = access::event_for(state, session, event).await?;
            // Only the comments the reporter may read (announcements are for participants).
            let readable = access::comments_for(viewer, events::comments(pool, event).await?);
            for comment in comments {
                if !readable.iter().any(|c| c.id == *comment) {
                    return Err(Error::not_found(format!(
                        "there is no comment {comment} on this event"
                    )));
                }
            }
        }
        Target::Group { handle } => {
            if groups::find(pool, handle).await?.is_none() {
                return Err(Error::not_found(format!("there is no group @{handle}")));
            }
        }
        // Found (or refused) by `remote::actor_named`, which keeps what it found.
        Target::RemoteActor { .. } => {}
    }
    Ok(())
}

/// Refuses anyone but the instance's moderators and administrators, naming the role.
pub fn require_moderator(session: &Session) -> Result<()> {
    if session.account.role.moderates() {
        Ok(())
    } else {
        Err(Error::forbidden(format!(
            "this is for the instance's moderators and administrators; your role is {}",
            session.account.role.as_str()
        )))
    }
}

/// The queue's filters, as asked.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// open, resolved or closed (all when absent).
    pub state: Option<String>,
    /// spam, illegal, rule_violation or other (all when absent).
    pub category: Option<String>,
    /// Reports on content of this other instance (`host` or `host:port`), or `local` for this
    /// instance's own content (all when absent).
    pub instance: Option<String>,
    /// From 1.
    pub page: Option<i64>,
}

const CATEGORIES: [&str; 4] = ["spam", "illegal", "rule_violation", "other"];

/// The moderators' queue, oldest first.
pub async fn queue(
    state: &AppState,
    session: &Session,
    query: QueueQuery,
) -> Result<Vec<ReportRow>> {
    require_moderator(session)?;
    let blank = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let filter = QueueFilter {
        state: blank(query.state),
        category: blank(query.category),
        instance: blank(query.instance).map(|i| i.trim().to_ascii_lowercase()),
    };
    if let Some(s) = filter
        .state
        .as_deref()
        .filter(|s| ReportState::parse(s).is_none())
    {
        return Err(Error::invalid_field(
            "state",
            format!("`{s}` is not one of open, resolved, closed"),
        ));
    }
    if let Some(c) = filter
        .category
        .as_deref()
        .filter(|c| !CATEGORIES.contains(c))
    {
        return Err(Error::invalid_field(
            "category",
            format!("`{c}` is not one of {}", CATEGORIES.join(", ")),
        ));
    }
    let page = query.page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    Ok(reports::queue(state.db.pool(), &filter, page).await?)
}

/// An internal note with when it was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    /// The moderator's account id.
    pub moderator: String,
    pub body: String,
    pub at: String,
}

/// A report in full, for moderators: the target as it was when reported, the notes, and every
/// change of the report with who made it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    pub report: ReportRow,
    pub target: Target,
    pub category: Category,
    /// Where it meets other instances: sent by one, about content of one, forwarded there.
    pub federated: Federated,
    /// The other instance's reported actor, or those whose content is reported: to suspend
    /// here (by URL).
    pub reported_actors: Vec<String>,
    /// Why it was resolved or closed.
    pub reason: Option<String>,
    pub notes: Vec<NoteView>,
    /// The target as it was at the evidence position; another instance's actor (kind
    /// `remote_actor`) as this instance knew it then (its state an `ActorSnapshot`).
    pub evidence: ObjectAsOf,
    /// The reported comments as they read then (for a report on comments).
    pub reported_comments: Vec<CommentAsOf>,
    pub history: Vec<ObjectChange>,
    /// The moderators' decisions on the reported object that answer this report, oldest first.
    pub decisions: Vec<ObjectChange>,
}

/// Report `id` in full.
pub async fn detail(state: &AppState, session: &Session, id: &str) -> Result<ReportDetail> {
    require_moderator(session)?;
    let report = reports::find(state.db.pool(), id)
        .await?
        .ok_or_else(|| Error::not_found("there is no such report"))?;
    let log = EventLog::new(&state.db).aggregate(Report::TYPE, id).await?;
    let mut folded = Report::default();
    let mut notes = Vec::new();
    let mut history = Vec::new();
    for stored in &log {
        let change: ReportChange = stored.change()?;
        let metadata = stored.metadata()?;
        let at = convene_domain::metadata::format_timestamp(metadata.recorded_at);
        if let ReportChange::NoteAdded {
            note,
            moderator,
            body,
        } = &change
        {
            notes.push(NoteView {
                id: note.clone(),
                moderator: moderator.clone(),
                body: body.clone(),
                at: at.clone(),
            });
        }
        history.push(crate::objects::change(stored)?);
        folded.apply(change);
    }
    let (Some(target), Some(category)) = (folded.target().cloned(), folded.category().cloned())
    else {
        return Err(Error::internal(format!(
            "report {id} has no filing in the log"
        )));
    };
    let evidence = match (&target, folded.snapshot()) {
        (Target::RemoteActor { url }, Some(snapshot)) => {
            actor_as_of(state, url, snapshot, folded.evidence()).await?
        }
        (Target::Comments { .. }, _) => {
            objects::as_of(
                state,
                "event",
                target.aggregate_id(),
                Some(folded.evidence()),
            )
            .await?
        }
        (other, _) => {
            objects::as_of(
                state,
                other.kind(),
                other.aggregate_id(),
                Some(folded.evidence()),
            )
            .await?
        }
    };
    let reported_comments = match &target {
        Target::Comments { comments, .. } => evidence
            .comments
            .iter()
            .filter(|c| comments.contains(&c.id))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let decisions = decisions_answering(state, &target, id).await?;
    let reported_actors = reported_actors(state, &target).await?;
    Ok(ReportDetail {
        report,
        target,
        category,
        federated: folded.federated().clone(),
        reported_actors,
        reason: folded.reason().map(str::to_string),
        notes,
        evidence,
        reported_comments,
        history,
        decisions,
    })
}

/// Another instance's actor as reported: what was known of it at filing, and the moderators'
/// decisions on it here up to then.
async fn actor_as_of(
    state: &AppState,
    url: &str,
    snapshot: &ActorSnapshot,
    position: i64,
) -> Result<ObjectAsOf> {
    let changes = EventLog::new(&state.db)
        .aggregate_until(RemoteActor::TYPE, url, position)
        .await?;
    Ok(ObjectAsOf {
        kind: "remote_actor".into(),
        id: url.to_string(),
        position,
        state: serde_json::to_value(snapshot)
            .map_err(|e| Error::internal(format!("an actor snapshot as JSON: {e}")))?,
        comments: Vec::new(),
        changes: changes.iter().map(objects::change).collect::<Result<_>>()?,
    })
}

/// The decisions on `target`'s own aggregate that answer report `id` (read from that
/// aggregate's changes only, never the whole log).
async fn decisions_answering(
    state: &AppState,
    target: &Target,
    id: &str,
) -> Result<Vec<ObjectChange>> {
    let aggregate_type = match target {
        Target::Profile { .. } => convene_domain::Profile::TYPE,
        Target::Event { .. } | Target::Comments { .. } => convene_domain::Event::TYPE,
        Target::Group { .. } => convene_domain::Group::TYPE,
        Target::RemoteActor { .. } => RemoteActor::TYPE,
    };
    EventLog::new(&state.db)
        .aggregate(aggregate_type, target.aggregate_id())
        .await?
        .iter()
        .filter(|stored| crate::audit::report_of(stored).as_deref() == Some(id))
        .map(objects::change)
        .collect()
}

/// A moderator's note on a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub body: String,
}

/// Resolving or closing: the reason is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub reason: String,
}

async fn moderate(
    state: &AppState,
    session: &Session,
    id: &str,
    command: ReportCommand,
    reason: Option<&str>,
) -> Result<ReportDetail> {
    require_moderator(session)?;
    if reports::find(state.db.pool(), id).await?.is_none() {
        return Err(Error::not_found("there is no such report"));
    }
    let mut metadata = session.metadata();
    metadata.reason = reason.map(|r| r.trim().to_string());
    consistency::command(state, &state.reports, id, command, &metadata, &[REPORTS]).await?;
    detail(state, session, id).await
}

/// The moderator takes report `id`.
pub async fn assign(state: &AppState, session: &Session, id: &str) -> Result<ReportDetail> {
    let moderator = session.account.id.clone();
    moderate(
        state,
        session,
        id,
        ReportCommand::Assign { moderator },
        None,
    )
    .await
}

/// Adds an internal note to report `id`.
pub async fn add_note(
    state: &AppState,
    session: &Session,
    id: &str,
    note: NewNote,
) -> Result<ReportDetail> {
    let command = ReportCommand::AddNote {
        note: uuid::Uuid::new_v4().to_string(),
        moderator: session.account.id.clone(),
        body: note.body,
    };
    moderate(state, session, id, command, None).await
}

/// Resolves (`resolved`: something was done) or closes report `id`, then tells the reporter.
pub async fn handle(
    state: &AppState,
    session: &Session,
    id: &str,
    decision: Decision,
    resolved: bool,
) -> Result<ReportDetail> {
    let moderator = session.account.id.clone();
    let reason = decision.reason;
    let command = if resolved {
        ReportCommand::Resolve {
            moderator,
            reason: reason.clone(),
        }
    } else {
        ReportCommand::Close {
            moderator,
            reason: reason.clone(),
        }
    };
    // The reporter hears of it from the notifications the log gives rise to (`report_handled`).
    moderate(state, session, id, command, Some(&reason)).await
}
