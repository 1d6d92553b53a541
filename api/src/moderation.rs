//! The instance moderators' decisions on content: hide an event from public listings and
//! search, remove an event or a comment (a tombstone for everyone else, the content kept in the
//! log as evidence), close an event's comments, and undo each. Every decision is a change of the
//! event with the moderator, the required reason, the report it answers and, for those that can
//! end, when it ends by itself; [`end_due`] records those ends. Removing everything another
//! instance's actor or domain sent is one decision made of many ([`takedown`]).

mod takedown;

use crate::auth::Session;
use crate::consistency;
use crate::error::{Error, Result};
use crate::reports::require_moderator;
use crate::AppState;
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::moderation::{
    AccountAction, BulkContentAction, ContentAction, ContentCounts, Decision, GroupAction,
    ProfileAction,
};
use convene_domain::remote_actor::ActorAction;
use convene_domain::remote_domain::{normalise_domain, DomainAction};
use convene_domain::{
    Account, AccountCommand, Actor, Event, EventCommand, Group, GroupCommand, Metadata, Profile,
    ProfileCommand, RemoteActor, RemoteActorCommand, RemoteDomain, RemoteDomainCommand, Role,
    Source,
};
use convene_projections::read_model::{
    ACCOUNTS, DECISION_TIMERS, DOMAIN_DECISIONS, EVENTS, GROUPS, PROFILES,
};
use convene_projections::{accounts, decisions, domains, events, groups, profiles, reports};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use takedown::Decider;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// What a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionTarget {
    Event {
        id: String,
    },
    /// One comment of an event.
    Comment {
        event: String,
        id: String,
    },
    /// A local profile: suspend or unsuspend it, limit or unlimit it, or warn its account.
    Profile {
        username: String,
    },
    Account {
        id: String,
    },
    /// A local group, by its handle: suspend or unsuspend it.
    Group {
        handle: String,
    },
    /// Another instance's profile or group known here, by its actor URL: suspend or
    /// unsuspend.
    RemoteActor {
        actor: String,
    },
    /// Another instance's domain (`mobilizon.example`, or `host:port`): suspend, limit or
    /// lift; reject or accept its media or its reports; administrators only.
    Domain {
        domain: String,
    },
}

/// What is decided. On an event: hide, unhide, remove, restore, close_comments,
/// reopen_comments; on a comment: remove, restore; on a group: suspend, unsuspend; on a
/// profile: limit (out of public listings and search), unlimit; on another instance's actor:
/// suspend, unsuspend, remove_content (every event and comment it sent removed, each with its
/// own change), restore_content (what remove_content removed); on a profile or an account:
/// suspend,
/// unsuspend, warn, lock_out (warnings and lock-outs go to the profile's account: a lock-out
/// closes every session until the password is reset); on another instance's domain: suspend,
/// limit, lift (the suspension or limit), reject_media, accept_media, reject_reports,
/// accept_reports, remove_content, restore_content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Hide,
    Unhide,
    Remove,
    Restore,
    CloseComments,
    ReopenComments,
    Suspend,
    Unsuspend,
    Warn,
    Limit,
    Unlimit,
    Lift,
    RejectMedia,
    AcceptMedia,
    RejectReports,
    AcceptReports,
    LockOut,
    RemoveContent,
    RestoreContent,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::Hide,
        Action::Unhide,
        Action::Remove,
        Action::Restore,
        Action::CloseComments,
        Action::ReopenComments,
        Action::Suspend,
        Action::Unsuspend,
        Action::Warn,
        Action::Limit,
        Action::Unlimit,
        Action::Lift,
        Action::LockOut,
        Action::RejectMedia,
        Action::AcceptMedia,
        Action::RejectReports,
        Action::AcceptReports,
        Action::RemoveContent,
        Action::RestoreContent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Hide => "hide",
            Action::Unhide => "unhide",
            Action::Remove => "remove",
            Action::Restore => "restore",
            Action::CloseComments => "close_comments",
            Action::ReopenComments => "reopen_comments",
            Action::Suspend => "suspend",
            Action::Unsuspend => "unsuspend",
            Action::Warn => "warn",
            Action::Limit => "limit",
            Action::Unlimit => "unlimit",
            Action::Lift => "lift",
            Action::LockOut => "lock_out",
            Action::RejectMedia => "reject_media",
            Action::AcceptMedia => "accept_media",
            Action::RejectReports => "reject_reports",
            Action::AcceptReports => "accept_reports",
            Action::RemoveContent => "remove_content",
            Action::RestoreContent => "restore_content",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A decision as asked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    pub action: Action,
    pub target: DecisionTarget,
    /// Why (required, 1 to 2,000 characters): kept in the log and shown in the audit trail.
    #[serde(default)]
    pub reason: String,
    /// The report this decision answers.
    #[serde(default)]
    pub report: Option<String>,
    /// When the decision ends by itself (RFC 3339, in the future); for hide, remove and
    /// close_comments, suspend and limit only.
    #[serde(default)]
    pub until: Option<String>,
    /// What the decision says for everyone to read (one line, at most 500 characters): on a
    /// domain, in the public list of moderated domains; on anything, in the transparency log
    /// when the instance publishes it.
    #[serde(default)]
    pub public_comment: Option<String>,
}

/// A decision as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionMade {
    /// Its position in the log.
    pub position: i64,
    /// The change's name in the log and the audit trail (EventHidden, CommentRemoved…).
    pub change: String,
    pub target: DecisionTarget,
    pub reason: String,
    pub report: Option<String>,
    /// When it ends by itself (fixed-width UTC).
    pub until: Option<String>,
    /// For remove_content and restore_content: how many events and comments it removed (or
    /// restored), and how many it left as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentCounts>,
}

/// What a decision does, on which aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    Event(String, ContentAction),
    Profile(String, ProfileAction),
    Group(String, GroupAction),
    /// On another instance's actor (its URL), with its handle here once found.
    RemoteActor(String, ActorAction, String),
    Account(String, AccountAction),
    /// On the account owning a profile (a warning, a lock-out).
    ProfileOwner(String, AccountAction),
    /// On another instance's domain, with its public comment.
    Domain(String, DomainAction, Option<String>),
    /// On everything another instance's actor or domain sent.
    Content(takedown::From, BulkContentAction),
}

fn plan(action: Action, target: &DecisionTarget) -> Result<Plan> {
    use Action as A;
    let event_action = match action {
        A::Hide => Some(ContentAction::Hide),
        A::Unhide => Some(ContentAction::Unhide),
        A::Remove => Some(ContentAction::Remove),
        A::Restore => Some(ContentAction::Restore),
        A::CloseComments => Some(ContentAction::CloseComments),
        A::ReopenComments => Some(ContentAction::ReopenComments),
        _ => None,
    };
    let bulk = match action {
        A::RemoveContent => Some(BulkContentAction::RemoveContent),
        A::RestoreContent => Some(BulkContentAction::RestoreContent),
        _ => None,
    };
    let wrong = |on: &str, allowed: &str| {
        Error::invalid_field(
            "action",
            format!(
                "`{}` is not decided on {on}: choose one of {allowed}",
                action.as_str()
            ),
        )
    };
    Ok(match target {
        DecisionTarget::Event { id } => Plan::Event(
            id.clone(),
            event_action.ok_or_else(|| {
                wrong(
                    "an event",
                    "hide, unhide, remove, restore, close_comments, reopen_comments",
                )
            })?,
        ),
        DecisionTarget::Comment { id, .. } => {
            let comment = id.clone();
            match action {
                A::Remove => Plan::Event(String::new(), ContentAction::RemoveComment { comment }),
                A::Restore => Plan::Event(String::new(), ContentAction::RestoreComment { comment }),
                _ => return Err(wrong("a comment", "remove, restore")),
            }
        }
        DecisionTarget::Profile { username } => match action {
            A::Suspend => Plan::Profile(username.clone(), ProfileAction::Suspend),
            A::Unsuspend => Plan::Profile(username.clone(), ProfileAction::Unsuspend),
            A::Limit => Plan::Profile(username.clone(), ProfileAction::Limit),
            A::Unlimit => Plan::Profile(username.clone(), ProfileAction::Unlimit),
            A::Warn => Plan::ProfileOwner(username.clone(), AccountAction::Warn),
            A::LockOut => Plan::ProfileOwner(username.clone(), AccountAction::LockOut),
            _ => {
                return Err(wrong(
                    "a profile",
                    "suspend, unsuspend, limit, unlimit, warn, lock_out",
                ))
            }
        },
        DecisionTarget::Group { handle } => match action {
            A::Suspend => Plan::Group(handle.clone(), GroupAction::Suspend),
            A::Unsuspend => Plan::Group(handle.clone(), GroupAction::Unsuspend),
            _ => return Err(wrong("a group", "suspend, unsuspend")),
        },
        DecisionTarget::RemoteActor { actor } => {
            if let Some(bulk) = bulk {
                return Ok(Plan::Content(
                    takedown::From::Actor(actor.trim().to_string()),
                    bulk,
                ));
            }
            let action = match action {
                A::Suspend => ActorAction::Suspend,
                A::Unsuspend => ActorAction::Unsuspend,
                _ => {
                    return Err(wrong(
                        "another instance's actor",
                        "suspend, unsuspend, remove_content, restore_content",
                    ))
                }
            };
            // Its handle is found when the decision is checked.
            Plan::RemoteActor(actor.trim().to_string(), action, String::new())
        }
        DecisionTarget::Account { id } => match action {
            A::Suspend => Plan::Account(id.clone(), AccountAction::Suspend),
            A::Unsuspend => Plan::Account(id.clone(), AccountAction::Unsuspend),
            A::Limit => Plan::Account(id.clone(), AccountAction::Limit),
            A::Unlimit => Plan::Account(id.clone(), AccountAction::Unlimit),
            A::Warn => Plan::Account(id.clone(), AccountAction::Warn),
            A::LockOut => Plan::Account(id.clone(), AccountAction::LockOut),
            _ => {
                return Err(wrong(
                    "an account",
                    "suspend, unsuspend, limit, unlimit, warn, lock_out",
                ))
            }
        },
        DecisionTarget::Domain { domain } => {
            let domain =
                normalise_domain(domain, "target.domain").map_err(|e| Error::Invalid(vec![e]))?;
            if let Some(bulk) = bulk {
                return Ok(Plan::Content(takedown::From::Domain(domain), bulk));
            }
            // The domain's actions are named alike in the API and in the domain.
            let Some(action) = DomainAction::parse(action.as_str()) else {
                let names = DomainAction::ALL.map(DomainAction::as_str).join(", ");
                return Err(wrong(
                    "a domain",
                    &format!("{names}, remove_content, restore_content"),
                ));
            };
            Plan::Domain(domain, action, None)
        }
    })
}

/// Whether the decision can end by itself.
fn can_end(plan: &Plan) -> bool {
    match plan {
        Plan::Event(_, action) => action.reversal().is_some(),
        Plan::Profile(_, action) => action.reversal().is_some(),
        Plan::Group(_, action) => action.reversal().is_some(),
        Plan::RemoteActor(_, action, _) => action.reversal().is_some(),
        Plan::Account(_, action) => action.reversal().is_some(),
        Plan::ProfileOwner(..) => false,
        Plan::Domain(_, action, _) => action.reversal().is_some(),
        Plan::Content(..) => false,
    }
}

/// Refuses a decision on this instance's own domain.
fn refuse_own_domain(state: &AppState, plan: &Plan) -> Result<()> {
    let (Plan::Domain(domain, ..) | Plan::Content(takedown::From::Domain(domain), _)) = plan else {
        return Ok(());
    };
    let own = convene_projections::domains::host_of_url(&state.config.public_url);
    if own.is_some_and(|own| convene_domain::remote_domain::covers(domain, &own)) {
        return Err(Error::invalid_field(
            "target.domain",
            "this is the instance's own domain",
        ));
    }
    Ok(())
}

/// Removes (`remove_content`) or restores (`restore_content`) everything another instance's
/// domain sent, decided by the instance itself from the command line (`convene federation
/// domain`): what an administrator's decision does, with no moderator and `metadata`'s origin,
/// telling `progress` the counts so far after each page of events or comments.
pub async fn decide_on_content_by_instance(
    state: &AppState,
    new: NewDecision,
    metadata: &Metadata,
    progress: takedown::Progress<'_>,
) -> Result<DecisionMade> {
    let plan = plan(new.action, &new.target)?;
    refuse_own_domain(state, &plan)?;
    let Plan::Content(from, action) = plan else {
        return Err(Error::invalid_field(
            "action",
            "only remove_content and restore_content are decided here",
        ));
    };
    let by = Decider::Instance(metadata, progress);
    takedown::decide(state, by, from, action, &new).await
}

/// Records moderator `session`'s decision, or says what to fix; a refused decision writes
/// nothing.
pub async fn decide(state: &AppState, session: &Session, new: NewDecision) -> Result<DecisionMade> {
    require_moderator(session)?;
    // Defederating concerns the whole instance: its administrators decide.
    if matches!(new.target, DecisionTarget::Domain { .. })
        && session.account.role != Role::Administrator
    {
        return Err(Error::forbidden(
            "decisions on other instances' domains are for the instance's administrators",
        ));
    }
    let mut plan = plan(new.action, &new.target)?;
    refuse_own_domain(state, &plan)?;
    if let Plan::Domain(_, _, comment) = &mut plan {
        comment.clone_from(&new.public_comment);
    }
    if let Plan::Content(from, action) = plan {
        return takedown::decide(state, Decider::Moderator(session), from, action, &new).await;
    }
    let until = match new
        .until
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(text) => Some(parse_timestamp(text).map_err(|_| {
            Error::invalid_field(
                "until",
                "a date and time with its offset, such as 2026-06-01T12:00:00Z",
            )
        })?),
        None => None,
    };
    let decision = Decision::by_moderator(
        session.account.id.clone(),
        &new.reason,
        new.report.clone(),
        until,
        OffsetDateTime::now_utc(),
    )
    .map_err(|e| Error::Invalid(vec![e]))?;
    // A domain decision keeps its public comment beside the decision, as it always has.
    let decision = match plan {
        Plan::Domain(..) => decision,
        _ => decision
            .with_public_comment(new.public_comment.as_deref())
            .map_err(|e| Error::Invalid(vec![e]))?,
    };
    if decision.until.is_some() && !can_end(&plan) {
        return Err(Error::invalid_field(
            "until",
            "only hiding, removing, closing comments, suspending and limiting end by themselves",
        ));
    }
    if let Some(report) = &decision.report {
        if reports::find(state.db.pool(), report).await?.is_none() {
            return Err(Error::invalid_field(
                "report",
                format!("there is no report {report}"),
            ));
        }
    }
    let pool = state.db.pool();
    // The object decided on must exist (and a comment be of its event).
    if let (DecisionTarget::Comment { event, id }, Plan::Event(on, _)) = (&new.target, &mut plan) {
        let comment = events::comment(pool, id).await?;
        if comment.is_none_or(|c| c.event_id != *event) {
            return Err(Error::not_found(format!(
                "there is no comment {id} on event {event}"
            )));
        }
        on.clone_from(event);
    }
    // A remote actor must be known here: its handle is how its content names it.
    if let Plan::RemoteActor(actor, _, handle) = &mut plan {
        *handle = domains::remote_handle(pool, actor)
            .await?
            .ok_or_else(|| Error::not_found(format!("there is no actor {actor} known here")))?;
    }
    match &plan {
        Plan::Event(event, _) => {
            if events::find(pool, event).await?.is_none() {
                return Err(Error::not_found(format!("there is no event {event}")));
            }
        }
        Plan::Profile(username, _) => {
            if profiles::find(pool, username).await?.is_none() {
                return Err(Error::not_found(format!("there is no profile @{username}")));
            }
        }
        Plan::Group(handle, _) => {
            if groups::find(pool, handle).await?.is_none() {
                return Err(Error::not_found(format!("there is no group @{handle}")));
            }
        }
        // Found above.
        Plan::RemoteActor(..) => {}
        Plan::ProfileOwner(username, action) => {
            let owner = profiles::owner(pool, username).await?.ok_or_else(|| {
                Error::not_found(format!("there is no account behind a profile @{username}"))
            })?;
            plan = Plan::Account(owner, *action);
        }
        Plan::Account(id, _) => {
            if accounts::by_id(pool, id).await?.is_none() {
                return Err(Error::not_found(format!("there is no account {id}")));
            }
        }
        // Any domain may be decided on, known here or not yet.
        Plan::Domain(..) | Plan::Content(..) => {}
    }
    // A decision on someone is never on oneself, nor on someone of one's own rank or above.
    let target_account = match &plan {
        Plan::Account(id, _) => Some(id.clone()),
        Plan::Profile(username, _) => profiles::owner(pool, username).await?,
        _ => None,
    };
    if let Some(id) = target_account {
        may_decide_on(state, session, &id).await?;
    }
    let metadata = session.metadata().with_reason(decision.reason.clone());
    let made = DecisionMade {
        position: 0,
        change: String::new(),
        target: new.target.clone(),
        reason: decision.reason.clone(),
        report: decision.report.clone(),
        until: decision.until.clone(),
        content: None,
    };
    // A warning reaches the account as a notification derived from the log.
    let (position, change) = record(state, plan, decision, &metadata).await?;
    Ok(DecisionMade {
        position,
        change,
        ..made
    })
}

/// Appends the decision to its object; its position and the change's name.
async fn record(
    state: &AppState,
    plan: Plan,
    decision: Decision,
    metadata: &Metadata,
) -> Result<(i64, String)> {
    Ok(match plan {
        Plan::Event(id, action) => {
            let change = action.change_name().to_string();
            let command = EventCommand::Moderate { action, decision };
            let reads = &[EVENTS, DECISION_TIMERS];
            let at = consistency::command(state, &state.events, &id, command, metadata, reads);
            (at.await?, change)
        }
        Plan::Profile(username, action) => {
            let change = action.change_name().to_string();
            let command = ProfileCommand::Moderate { action, decision };
            let reads = &[PROFILES, DECISION_TIMERS];
            let at =
                consistency::command(state, &state.profiles, &username, command, metadata, reads);
            (at.await?, change)
        }
        Plan::Group(handle, action) => {
            let change = action.change_name().to_string();
            let command = GroupCommand::Moderate { action, decision };
            let reads = &[GROUPS, EVENTS, DECISION_TIMERS];
            let at = consistency::command(state, &state.groups, &handle, command, metadata, reads);
            (at.await?, change)
        }
        Plan::RemoteActor(actor, action, handle) => {
            let change = action.change_name().to_string();
            let command = RemoteActorCommand::Moderate {
                action,
                decision,
                handle,
            };
            let reads = &[DOMAIN_DECISIONS, EVENTS, DECISION_TIMERS];
            let at = consistency::command(
                state,
                &state.remote_actors,
                &actor,
                command,
                metadata,
                reads,
            );
            (at.await?, change)
        }
        Plan::Account(id, action) => {
            let change = action.change_name().to_string();
            let command = AccountCommand::Moderate { action, decision };
            let reads = &[ACCOUNTS, PROFILES, DECISION_TIMERS];
            let at = consistency::command(state, &state.accounts, &id, command, metadata, reads);
            (at.await?, change)
        }
        Plan::Domain(domain, action, public_comment) => {
            let change = action.change_name().to_string();
            let command = RemoteDomainCommand::Moderate {
                action,
                decision,
                public_comment,
            };
            let reads = &[DOMAIN_DECISIONS, EVENTS, DECISION_TIMERS];
            let at = consistency::command(state, &state.domains, &domain, command, metadata, reads);
            (at.await?, change)
        }
        Plan::ProfileOwner(..) => {
            return Err(Error::internal(
                "a decision on a profile's owner goes to its account",
            ))
        }
        Plan::Content(..) => {
            return Err(Error::internal(
                "a decision on everything sent is made of many changes",
            ))
        }
    })
}

/// Most timed decisions ended in one sweep; the next sweep takes the rest.
const SWEEP_MAX: i64 = 500;

/// Ends the timed decisions whose time has come by `now`: each end is a change of its own,
/// made by the instance (`system`, source `schedule`) with the decision's report. Returns how
/// many ended. A decision undone meanwhile by a moderator is no longer due; one that cannot be
/// ended (its object deleted meanwhile) is logged and skipped.
pub async fn end_due(state: &AppState, now: OffsetDateTime) -> Result<usize> {
    let due = decisions::due(state.db.pool(), &format_timestamp(now), SWEEP_MAX).await?;
    let mut ended = 0;
    for timer in due {
        let plan = match timer.aggregate_type.as_str() {
            t if t == Event::TYPE => serde_json::from_str::<ContentAction>(&timer.action)
                .ok()
                .and_then(|a| a.reversal())
                .map(|a| Plan::Event(timer.aggregate_id.clone(), a)),
            t if t == Profile::TYPE => serde_json::from_str::<ProfileAction>(&timer.action)
                .ok()
                .and_then(|a| a.reversal())
                .map(|a| Plan::Profile(timer.aggregate_id.clone(), a)),
            t if t == Group::TYPE => serde_json::from_str::<GroupAction>(&timer.action)
                .ok()
                .and_then(|a| a.reversal())
                .map(|a| Plan::Group(timer.aggregate_id.clone(), a)),
            t if t == RemoteActor::TYPE => match serde_json::from_str::<ActorAction>(&timer.action)
                .ok()
                .and_then(|a| a.reversal())
            {
                Some(a) => {
                    let handle =
                        domains::remote_handle(state.db.pool(), &timer.aggregate_id).await?;
                    Some(Plan::RemoteActor(
                        timer.aggregate_id.clone(),
                        a,
                        handle.unwrap_or_default(),
                    ))
                }
                None => None,
            },
            t if t == Account::TYPE => serde_json::from_str::<AccountAction>(&timer.action)
                .ok()
                .and_then(|a| a.reversal())
                .map(|a| Plan::Account(timer.aggregate_id.clone(), a)),
            // A timed suspension or limit gives way to the one in force before it (a limit
            // under a timed suspension), not to nothing; a timed policy is simply lifted.
            t if t == RemoteDomain::TYPE => {
                let timed = serde_json::from_str::<DomainAction>(&timer.action).ok();
                let ending = match timed.filter(|a| a.policy().is_some()) {
                    Some(policy) => policy.reversal().unwrap_or(DomainAction::Lift),
                    None => domain_before(state, &timer.aggregate_id, timer.position).await?,
                };
                Some(Plan::Domain(timer.aggregate_id.clone(), ending, None))
            }
            _ => None,
        };
        let Some(plan) = plan else {
            tracing::warn!(action = timer.action, "a timed decision that cannot end");
            continue;
        };
        let decision = Decision::expired(timer.report.clone());
        let metadata = Metadata::now(Actor::System, Source::Schedule, uuid::Uuid::new_v4())
            .with_reason(decision.reason.clone());
        match record(state, plan, decision, &metadata).await {
            Ok(_) => ended += 1,
            // Another process, or a moderator, ended it first.
            Err(error) if error.rule() == "already-decided" => {}
            Err(error) => tracing::warn!(
                %error,
                object = timer.aggregate_id,
                until = timer.until,
                "a timed decision could not be ended"
            ),
        }
    }
    Ok(ended)
}

/// Roles in order: a decision reaches only a lower one.
/// Refused unless `session` may decide on account `id`: never on oneself, nor on someone of
/// one's own rank or above.
pub(crate) async fn may_decide_on(state: &AppState, session: &Session, id: &str) -> Result<()> {
    let role = accounts::by_id(state.db.pool(), id).await?.map(|a| a.role);
    if id == session.account.id || role.is_some_and(|r| rank(r) >= rank(session.account.role)) {
        return Err(Error::forbidden(
            "moderators decide on other people's accounts and profiles only, and only on those \
             of a lower role than theirs",
        ));
    }
    Ok(())
}

fn rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::Moderator => 1,
        Role::Administrator => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_takes_its_own_actions() {
        let comment = DecisionTarget::Comment {
            event: "e".into(),
            id: "c".into(),
        };
        for action in [Action::Hide, Action::CloseComments, Action::Suspend] {
            let refused = plan(action, &comment).expect_err("refused");
            assert_eq!(refused.field_errors()[0].field, "action");
        }
        assert_eq!(
            plan(Action::Remove, &comment).expect("accepted"),
            Plan::Event(
                String::new(),
                ContentAction::RemoveComment {
                    comment: "c".into()
                }
            )
        );
        let profile = DecisionTarget::Profile {
            username: "ana".into(),
        };
        assert!(plan(Action::Hide, &profile).is_err());
        assert_eq!(
            plan(Action::Warn, &profile).expect("accepted"),
            Plan::ProfileOwner("ana".into(), AccountAction::Warn)
        );
        assert!(!can_end(&plan(Action::Warn, &profile).expect("accepted")));
        assert!(can_end(&plan(Action::Suspend, &profile).expect("accepted")));
        let group = DecisionTarget::Group {
            handle: "repair".into(),
        };
        for action in [Action::Hide, Action::Warn, Action::LockOut, Action::Limit] {
            let refused = plan(action, &group).expect_err("refused");
            assert_eq!(refused.field_errors()[0].field, "action");
        }
        assert_eq!(
            plan(Action::Suspend, &group).expect("accepted"),
            Plan::Group("repair".into(), GroupAction::Suspend)
        );
        assert!(can_end(&plan(Action::Suspend, &group).expect("accepted")));
    }

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("delete"), None);
    }
}

/// A domain as administrators see it: the decision in force, if any, and what a decision
/// touches here (counted as of now: nothing is deleted, so this is also what lifting brings back).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainStanding {
    pub domain: String,
    /// The suspension or limit in force.
    pub decision: Option<domains::DomainDecisionView>,
    /// Its media or its reports rejected (`action` is `reject_media` or `reject_reports`).
    pub policies: Vec<domains::DomainDecisionView>,
    pub impact: domains::DomainImpact,
}

/// Every domain with a decision or a policy in force (moderators and administrators).
pub async fn domains_in_force(state: &AppState, session: &Session) -> Result<Vec<DomainStanding>> {
    require_moderator(session)?;
    let (decisions, policies) = decisions_and_policies(state).await?;
    let names: std::collections::BTreeSet<&str> = decisions
        .iter()
        .chain(&policies)
        .map(|d| d.domain.as_str())
        .collect();
    let mut standings = Vec::new();
    for domain in names {
        standings.push(standing(state, domain, &decisions, &policies).await?);
    }
    Ok(standings)
}

/// One domain (moderators and administrators): what is decided on it and what a decision would
/// touch, to see before deciding.
pub async fn domain_standing(
    state: &AppState,
    session: &Session,
    domain: &str,
) -> Result<DomainStanding> {
    require_moderator(session)?;
    let domain = normalise_domain(domain, "domain").map_err(|e| Error::Invalid(vec![e]))?;
    let (decisions, policies) = decisions_and_policies(state).await?;
    standing(state, &domain, &decisions, &policies).await
}

/// The suspensions and limits in force, then the policies in force, on every domain.
async fn decisions_and_policies(
    state: &AppState,
) -> Result<(
    Vec<domains::DomainDecisionView>,
    Vec<domains::DomainDecisionView>,
)> {
    let pool = state.db.pool();
    Ok((
        domains::in_force(pool).await?,
        domains::policies_in_force(pool).await?,
    ))
}

/// `domain`'s standing, out of the decisions and policies in force.
async fn standing(
    state: &AppState,
    domain: &str,
    decisions: &[domains::DomainDecisionView],
    policies: &[domains::DomainDecisionView],
) -> Result<DomainStanding> {
    Ok(DomainStanding {
        domain: domain.to_string(),
        impact: domains::impact(state.db.pool(), domain).await?,
        decision: decisions.iter().find(|d| d.domain == domain).cloned(),
        policies: policies
            .iter()
            .filter(|p| p.domain == domain)
            .cloned()
            .collect(),
    })
}

/// A domain decision as the public list shows it: no reason, no moderator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicDomainDecision {
    pub domain: String,
    /// `suspend`, `limit`, `reject_media` or `reject_reports`.
    pub action: String,
    pub public_comment: Option<String>,
    pub decided_at: String,
}

/// The domains suspended or limited here, for everyone, when the instance publishes them
/// (404 otherwise).
pub async fn public_domain_decisions(state: &AppState) -> Result<Vec<PublicDomainDecision>> {
    if !state.domain_decisions_public {
        return Err(Error::not_found(
            "this instance does not publish its decisions on other instances' domains",
        ));
    }
    let (mut decisions, policies) = decisions_and_policies(state).await?;
    decisions.extend(policies);
    decisions.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(decisions
        .into_iter()
        .map(|d| PublicDomainDecision {
            domain: d.domain,
            action: d.action,
            public_comment: d.public_comment,
            decided_at: d.decided_at,
        })
        .collect())
}

/// The decision in force on `domain` just before log position `position` (lift when none was).
async fn domain_before(state: &AppState, domain: &str, position: i64) -> Result<DomainAction> {
    let log = convene_projections::EventLog::new(&state.db);
    let mut in_force = DomainAction::Lift;
    for stored in log
        .aggregate_until(RemoteDomain::TYPE, domain, position - 1)
        .await?
    {
        let convene_domain::RemoteDomainChange::Moderated { action, .. } = stored.change()? else {
            continue;
        };
        if action.policy().is_none() {
            in_force = action;
        }
    }
    Ok(in_force)
}
