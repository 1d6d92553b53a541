//! Reverting what an account did in a window of time, or in one request: after a hijacking, or
//! a moderator's mistaken decision with its consequences. The plan comes from the log — each change the account made in the
//! window, and what undoes it — and is shown before anything is written (a dry run). Applying
//! it records one decision on the account naming every change it reverts, then the changes that
//! undo them, all under the request's id, so the audit trail shows the decision with its
//! consequences. What someone else changed since is never overwritten: it is listed as a
//! conflict for a moderator to decide. What is already undone plans nothing, so applying twice
//! does nothing more, and applying again after a failure finishes the work.

use crate::audit::kind_of;
use crate::auth::Session;
use crate::consistency;
use crate::error::{Error, Result};
use crate::moderation::may_decide_on;
use crate::reports::require_moderator;
use crate::AppState;
use convene_domain::claim::{email_claim, ClaimCommand};
use convene_domain::event::{EventPatch, Participant};
use convene_domain::metadata::{format_timestamp, parse_timestamp, Actor};
use convene_domain::moderation::{
    AccountAction, ContentAction, Decision, GroupAction, ProfileAction,
};
use convene_domain::{
    Account, AccountChange, AccountCommand, Event, EventChange, EventCommand, Group, GroupChange,
    GroupCommand, Metadata, Profile, ProfileChange, ProfileCommand,
};
use convene_projections::log::{AuditFilter, EventLog, StoredEvent};
use convene_projections::read_model::{ACCOUNTS, DECISION_TIMERS, EVENTS, GROUPS, PROFILES};
use convene_projections::{accounts, profiles};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The most changes one revert reads from its window: a wider window is split.
const WINDOW_MAX: i64 = 20_000;

fn yes() -> bool {
    true
}

/// A revert as asked: whose changes, in which window, why, and whether to write it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertRequest {
    /// The account whose changes are reverted (its id); or name `profile`.
    #[serde(default)]
    pub account: Option<String>,
    /// One profile: only what was done as this profile is reverted.
    #[serde(default)]
    pub profile: Option<String>,
    /// One request (its id, as the audit trail shows it): only what it changed is reverted, and
    /// its account is the one whose changes these are. Without it, `from` and `to` are required.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The window's start (RFC 3339): changes recorded at or after it.
    #[serde(default)]
    pub from: Option<String>,
    /// The window's end (RFC 3339): changes recorded before it.
    #[serde(default)]
    pub to: Option<String>,
    /// Why (required, 1 to 2,000 characters).
    #[serde(default)]
    pub reason: String,
    /// The report this revert answers.
    #[serde(default)]
    pub report: Option<String>,
    /// Also close every session of the account and require a new password (default true).
    #[serde(default = "yes")]
    pub lock_out: bool,
    /// false (the default) only shows the plan; true writes it.
    #[serde(default)]
    pub apply: bool,
}

/// What a revert does, or did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevertPlan {
    pub account: String,
    pub profile: Option<String>,
    pub request_id: Option<String>,
    /// The window, as the log writes times.
    pub from: String,
    pub to: String,
    /// Whether it was written.
    pub applied: bool,
    /// The position of the recorded decision, when it was written.
    pub position: Option<i64>,
    /// What undoes the window's changes, in order.
    pub steps: Vec<RevertStep>,
    /// Changes left alone because someone else changed the same thing since.
    pub conflicts: Vec<RevertConflict>,
    /// Changes of the window with nothing to undo, or that are not undone automatically.
    pub kept: Vec<KeptChange>,
    /// Steps refused when applied (applying again retries them).
    pub failed: Vec<FailedStep>,
}

/// One change that undoes some of the window's changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevertStep {
    /// remove_event, restore_event, remove_comment, restore_comment, leave_event, join_again,
    /// suspend_profile, restore_profile, undo_decision, restore_email or lock_out.
    pub action: String,
    /// event, comment, profile or account.
    pub target_kind: String,
    pub target_id: String,
    /// The positions of the changes it reverts.
    pub reverts: Vec<i64>,
    /// What it changes, as it is now.
    #[schema(value_type = Object)]
    pub before: Value,
    /// What it changes, as it will be.
    #[schema(value_type = Object)]
    pub after: Value,
    #[serde(skip)]
    command: Command,
}

/// A change of the window left alone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevertConflict {
    pub position: i64,
    pub change: String,
    pub target_kind: String,
    pub target_id: String,
    /// The field changed since, when one is.
    pub field: Option<String>,
    /// The later change by someone else.
    pub since: i64,
    pub by: String,
}

/// A change of the window that the revert does not touch, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeptChange {
    pub position: i64,
    pub change: String,
    pub target_kind: String,
    pub target_id: String,
    pub why: String,
}

/// A step refused when applied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FailedStep {
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub message: String,
}

/// The command a step sends, to which aggregate.
#[derive(Debug, Clone, Default)]
enum Command {
    #[default]
    Nothing,
    Event(String, Box<EventCommand>),
    Profile(String, ProfileCommand),
    Group(String, GroupCommand),
    Account(String, AccountCommand),
}

/// Plans the revert `request` asks for and, when it says `apply`, writes it (moderators and
/// administrators, on accounts of a lower role than theirs).
pub async fn revert(
    state: &AppState,
    session: &Session,
    request: RevertRequest,
) -> Result<RevertPlan> {
    require_moderator(session)?;
    let pool = state.db.pool();
    let profile = blank(request.profile.clone()).map(|p| p.trim_start_matches('@').to_string());
    let request_id = blank(request.request_id.clone());
    let log = EventLog::new(&state.db);
    let requested = match &request_id {
        Some(id) => Some(request_changes(&log, id).await?),
        None => None,
    };
    let account = match (blank(request.account.clone()), &profile, &requested) {
        (Some(account), _, _) => {
            if accounts::by_id(pool, &account).await?.is_none() {
                return Err(Error::not_found(format!("there is no account {account}")));
            }
            if let Some(profile) = &profile {
                if profiles::owner(pool, profile).await?.as_deref() != Some(account.as_str()) {
                    return Err(Error::invalid_field(
                        "profile",
                        format!("@{profile} is not a profile of account {account}"),
                    ));
                }
            }
            account
        }
        (None, Some(profile), _) => profiles::owner(pool, profile).await?.ok_or_else(|| {
            Error::not_found(format!("there is no account behind a profile @{profile}"))
        })?,
        (None, None, Some((account, _))) => account.clone(),
        (None, None, None) => {
            return Err(Error::invalid_field(
                "account",
                "name the account (its id), one of its profiles or a request whose changes to \
                 revert",
            ))
        }
    };
    may_decide_on(state, session, &account).await?;
    let (from, to) = match (&requested, &request.from, &request.to) {
        // A request's window is its own, unless narrowed.
        (Some((_, (first, last))), from, to) => (
            optional_time("from", from)?.unwrap_or(*first),
            optional_time("to", to)?.unwrap_or(*last + time::Duration::microseconds(1)),
        ),
        (None, from, to) => (
            time("from", from.as_deref().unwrap_or_default())?,
            time("to", to.as_deref().unwrap_or_default())?,
        ),
    };
    if from >= to {
        return Err(Error::invalid_field("to", "the end comes after the start"));
    }
    let now = OffsetDateTime::now_utc();
    let decision = Decision::by_moderator(
        session.account.id.clone(),
        &request.reason,
        request.report.clone(),
        None,
        now,
    )
    .map_err(|e| Error::Invalid(vec![e]))?;
    if let Some(report) = &decision.report {
        if convene_projections::reports::find(pool, report)
            .await?
            .is_none()
        {
            return Err(Error::invalid_field(
                "report",
                format!("there is no report {report}"),
            ));
        }
    }
    let (from, to) = (format_timestamp(from), format_timestamp(to));
    let filter = AuditFilter {
        account: Some(account.clone()),
        profile: profile.clone(),
        request_id: request_id.clone(),
        from: Some(from.clone()),
        to: Some(to.clone()),
        ..AuditFilter::default()
    };
    let window = log.matching_in_order(&filter, WINDOW_MAX + 1).await?;
    if window.is_empty() {
        let mut who = profile.as_ref().map_or_else(
            || format!("account {account}"),
            |p| format!("@{p} (account {account})"),
        );
        if let Some(id) = &request_id {
            who = format!("{who} in request {id}");
        }
        return Err(Error::invalid_field(
            if request_id.is_some() {
                "request_id"
            } else {
                "from"
            },
            format!("{who} changed nothing between {from} and {to}: widen the window"),
        ));
    }
    if window.len() as i64 > WINDOW_MAX {
        return Err(Error::invalid_field(
            "to",
            format!("the window holds more than {WINDOW_MAX} changes: revert it in parts"),
        ));
    }
    let mut planner = Planner {
        decision,
        reverted: window.iter().map(|c| c.position).collect(),
        plan: RevertPlan {
            account: account.clone(),
            profile,
            request_id,
            from,
            to,
            applied: false,
            position: None,
            steps: vec![],
            conflicts: vec![],
            kept: vec![],
            failed: vec![],
        },
    };
    let mut by_object: BTreeMap<(String, String), Vec<StoredEvent>> = BTreeMap::new();
    for change in window {
        by_object
            .entry((change.aggregate_type.clone(), change.aggregate_id.clone()))
            .or_default()
            .push(change);
    }
    for ((kind, id), mine) in &by_object {
        let history = log.aggregate(kind, id).await?;
        match kind.as_str() {
            t if t == Event::TYPE => planner.event(id, &history, mine)?,
            t if t == Profile::TYPE => planner.profile(id, &history, mine)?,
            t if t == Account::TYPE => planner.account(id, &history, mine)?,
            t if t == Group::TYPE => planner.group(id, &history, mine)?,
            _ => {
                for change in mine {
                    planner.keep(change, "not undone automatically: decide on it by hand");
                }
            }
        }
    }
    // A lock-out comes with what it protects: once the rest is undone (and the owner has reset
    // the password), applying again locks nobody out.
    if request.lock_out && !planner.plan.steps.is_empty() {
        let own = log.aggregate(Account::TYPE, &account).await?;
        if !fold::<Account>(&own)?.locked_out() {
            planner.plan.steps.push(RevertStep {
                action: "lock_out".into(),
                target_kind: "account".into(),
                target_id: account.clone(),
                reverts: vec![],
                before: json!({ "locked_out": false }),
                after: json!({ "locked_out": true, "sessions": 0 }),
                command: Command::Account(
                    account.clone(),
                    AccountCommand::Moderate {
                        action: AccountAction::LockOut,
                        decision: planner.decision.clone(),
                    },
                ),
            });
        }
    }
    let Planner {
        decision, mut plan, ..
    } = planner;
    if request.apply && !plan.steps.is_empty() {
        apply(state, session, decision, &mut plan).await?;
    }
    Ok(plan)
}

/// Records the decision, then each step under the same request id.
async fn apply(
    state: &AppState,
    session: &Session,
    decision: Decision,
    plan: &mut RevertPlan,
) -> Result<()> {
    let metadata = session
        .metadata()
        .with_reason(format!("revert: {}", decision.reason));
    let mut reverts: Vec<i64> = plan
        .steps
        .iter()
        .flat_map(|s| s.reverts.iter().copied())
        .collect();
    reverts.sort_unstable();
    reverts.dedup();
    let record = AccountCommand::RecordRevert {
        decision,
        from: plan.from.clone(),
        to: plan.to.clone(),
        reverts,
        conflicts: plan.conflicts.iter().map(|c| c.position).collect(),
    };
    let reads = &[ACCOUNTS];
    let position = consistency::command(
        state,
        &state.accounts,
        &plan.account,
        record,
        &metadata,
        reads,
    )
    .await?;
    plan.position = Some(position);
    plan.applied = true;
    // The decisions on one event go as one command: a thousand removed comments are one
    // append, not a thousand.
    let mut on_events: BTreeMap<String, (Vec<usize>, Vec<ContentAction>, Decision)> =
        BTreeMap::new();
    let mut runs: Vec<(Vec<usize>, Command)> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        match &step.command {
            Command::Event(id, command)
                if matches!(command.as_ref(), EventCommand::Moderate { .. }) =>
            {
                let EventCommand::Moderate { action, decision } = command.as_ref() else {
                    continue;
                };
                let (steps, actions, _) = on_events
                    .entry(id.clone())
                    .or_insert_with(|| (vec![], vec![], decision.clone()));
                steps.push(i);
                actions.push(action.clone());
            }
            command => runs.push((vec![i], command.clone())),
        }
    }
    for (id, (steps, actions, decision)) in on_events {
        let command = EventCommand::ModerateAll { actions, decision };
        runs.insert(0, (steps, Command::Event(id, Box::new(command))));
    }
    for (steps, command) in runs {
        if let Err(error) = run(state, &command, &metadata).await {
            for i in steps {
                let step = &plan.steps[i];
                plan.failed.push(FailedStep {
                    action: step.action.clone(),
                    target_kind: step.target_kind.clone(),
                    target_id: step.target_id.clone(),
                    message: error.to_string(),
                });
            }
        }
    }
    Ok(())
}

async fn run(state: &AppState, command: &Command, metadata: &Metadata) -> Result<i64> {
    match command.clone() {
        Command::Nothing => Ok(0),
        Command::Event(id, command) => {
            let reads = &[EVENTS, DECISION_TIMERS];
            consistency::command(state, &state.events, &id, *command, metadata, reads).await
        }
        Command::Profile(id, command) => {
            let reads = &[PROFILES, DECISION_TIMERS];
            consistency::command(state, &state.profiles, &id, command, metadata, reads).await
        }
        Command::Group(id, command) => {
            let reads = &[GROUPS, EVENTS, DECISION_TIMERS];
            consistency::command(state, &state.groups, &id, command, metadata, reads).await
        }
        Command::Account(id, AccountCommand::RestoreEmail { email }) => {
            restore_email(state, &id, email, metadata).await
        }
        Command::Account(id, command) => {
            let reads = &[ACCOUNTS, PROFILES, DECISION_TIMERS];
            consistency::command(state, &state.accounts, &id, command, metadata, reads).await
        }
    }
}

/// Gives account `id` its address `email` back: the address is claimed for it first (refused
/// when another account took it since), and the one it replaces is released.
async fn restore_email(
    state: &AppState,
    id: &str,
    email: String,
    metadata: &Metadata,
) -> Result<i64> {
    let current = accounts::by_id(state.db.pool(), id)
        .await?
        .map(|a| a.email)
        .unwrap_or_default();
    let take = ClaimCommand::Take { owner: id.into() };
    if current != email {
        consistency::command(
            state,
            &state.claims,
            &email_claim(&email),
            take,
            metadata,
            &[],
        )
        .await
        .map_err(|_| Error::conflict(format!("{email} belongs to another account now")))?;
    }
    let command = AccountCommand::RestoreEmail { email };
    let reads = &[ACCOUNTS];
    let at = consistency::command(state, &state.accounts, id, command, metadata, reads).await?;
    let release = ClaimCommand::Release { owner: id.into() };
    let claim = email_claim(&current);
    if let Err(error) =
        consistency::command(state, &state.claims, &claim, release, metadata, &[]).await
    {
        tracing::warn!(%error, "the replaced address could not be released");
    }
    Ok(at)
}

fn on_event(id: &str, command: EventCommand) -> Command {
    Command::Event(id.into(), Box::new(command))
}

fn blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The account that made the changes of request `id`, and the times of its first and last
/// change (a request is one account's, or the instance's own work, which is not reverted).
async fn request_changes(
    log: &EventLog,
    id: &str,
) -> Result<(String, (OffsetDateTime, OffsetDateTime))> {
    let filter = AuditFilter {
        request_id: Some(id.to_string()),
        ..AuditFilter::default()
    };
    let changes = log.matching_in_order(&filter, WINDOW_MAX + 1).await?;
    let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
        return Err(Error::invalid_field(
            "request_id",
            format!("no change was recorded under request {id}: copy its id from the audit trail"),
        ));
    };
    let metadata = |change: &StoredEvent| {
        change
            .metadata()
            .map_err(|e| Error::Internal(format!("metadata at #{}: {e}", change.position)))
    };
    let Actor::Account { account, .. } = metadata(first)?.actor else {
        return Err(Error::invalid_field(
            "request_id",
            format!(
                "request {id} was not made by an account: only an account's changes are reverted"
            ),
        ));
    };
    Ok((
        account,
        (metadata(first)?.recorded_at, metadata(last)?.recorded_at),
    ))
}

fn optional_time(field: &str, text: &Option<String>) -> Result<Option<OffsetDateTime>> {
    blank(text.clone()).map(|t| time(field, &t)).transpose()
}

fn time(field: &str, text: &str) -> Result<OffsetDateTime> {
    parse_timestamp(text.trim()).map_err(|_| {
        Error::invalid_field(
            field,
            "a date and time with its offset, such as 2026-06-01T12:00:00Z",
        )
    })
}

fn fold<A: Aggregate>(history: &[StoredEvent]) -> Result<A> {
    let mut aggregate = A::default();
    for stored in history {
        aggregate.apply(stored.change::<A::Event>()?);
    }
    Ok(aggregate)
}

/// A change of `history` by its position, decoded once.
fn lookup<C: Clone>(history: &[(StoredEvent, C)]) -> impl Fn(&StoredEvent) -> Option<C> + '_ {
    let by_position: HashMap<i64, &C> = history.iter().map(|(s, c)| (s.position, c)).collect();
    move |stored| by_position.get(&stored.position).map(|c| (*c).clone())
}

/// Who made a stored change, as the audit trail names them.
fn actor(change: &StoredEvent) -> String {
    change
        .metadata()
        .map_or_else(|_| "unknown".into(), |m| m.actor.to_string())
}

/// The action undoing a content decision, and what each decides on (a decision and its undoing
/// share it).
fn undoing(action: &ContentAction) -> (ContentAction, String) {
    use ContentAction as A;
    match action {
        A::Hide => (A::Unhide, "hidden".into()),
        A::Unhide => (A::Hide, "hidden".into()),
        A::Remove => (A::Restore, "removed".into()),
        A::Restore => (A::Remove, "removed".into()),
        A::CloseComments => (A::ReopenComments, "comments".into()),
        A::ReopenComments => (A::CloseComments, "comments".into()),
        A::RemoveComment { comment } => (
            A::RestoreComment {
                comment: comment.clone(),
            },
            format!("comment {comment}"),
        ),
        A::RestoreComment { comment } => (
            A::RemoveComment {
                comment: comment.clone(),
            },
            format!("comment {comment}"),
        ),
    }
}

/// Whether the event is still as `action` left it.
fn in_force(event: &Event, action: &ContentAction) -> bool {
    use ContentAction as A;
    let m = event.moderation();
    match action {
        A::Hide => m.hidden,
        A::Unhide => !m.hidden,
        A::Remove => m.removed,
        A::Restore => !m.removed,
        A::CloseComments => m.comments_closed,
        A::ReopenComments => !m.comments_closed,
        A::RemoveComment { comment } => event.comment_removed(comment),
        A::RestoreComment { comment } => event.comment_shown(comment),
    }
}

struct Planner {
    decision: Decision,
    /// The positions of the window's changes.
    reverted: BTreeSet<i64>,
    plan: RevertPlan,
}

impl Planner {
    fn keep(&mut self, change: &StoredEvent, why: &str) {
        self.plan.kept.push(KeptChange {
            position: change.position,
            change: change.event_type.clone(),
            target_kind: kind_of(&change.aggregate_type),
            target_id: change.aggregate_id.clone(),
            why: why.into(),
        });
    }

    fn conflict(&mut self, change: &StoredEvent, field: Option<&str>, since: &StoredEvent) {
        self.plan.conflicts.push(RevertConflict {
            position: change.position,
            change: change.event_type.clone(),
            target_kind: kind_of(&change.aggregate_type),
            target_id: change.aggregate_id.clone(),
            field: field.map(str::to_string),
            since: since.position,
            by: actor(since),
        });
    }

    /// The first change after `position` outside the window for which `touches` holds.
    fn changed_since<'a, T>(
        &self,
        history: &'a [(StoredEvent, T)],
        position: i64,
        touches: impl Fn(&T) -> bool,
    ) -> Option<&'a StoredEvent> {
        history
            .iter()
            .find(|(c, t)| {
                c.position > position && !self.reverted.contains(&c.position) && touches(t)
            })
            .map(|(c, _)| c)
    }

    fn step(
        &mut self,
        action: &str,
        kind: &str,
        id: &str,
        reverts: Vec<i64>,
        (before, after): (Value, Value),
        command: Command,
    ) {
        self.plan.steps.push(RevertStep {
            action: action.into(),
            target_kind: kind.into(),
            target_id: id.into(),
            reverts,
            before,
            after,
            command,
        });
    }

    fn moderate(&self, action: ContentAction) -> EventCommand {
        EventCommand::Moderate {
            action,
            decision: self.decision.clone(),
        }
    }

    fn event(&mut self, id: &str, stored: &[StoredEvent], mine: &[StoredEvent]) -> Result<()> {
        let event: Event = fold(stored)?;
        let history: Vec<(StoredEvent, EventChange)> = stored
            .iter()
            .map(|s| Ok((s.clone(), s.change::<EventChange>()?)))
            .collect::<Result<_>>()?;
        if event.is_deleted() {
            for change in mine {
                self.keep(change, "the event is deleted: nothing on it can be undone");
            }
            return Ok(());
        }
        let change_of = lookup(&history);
        // An event the account created in the window goes, with all it did on it.
        if mine
            .iter()
            .any(|c| matches!(change_of(c), Some(EventChange::Created { .. })))
        {
            if event.moderation().removed {
                for change in mine {
                    self.keep(change, "already removed");
                }
            } else {
                let reverts = mine.iter().map(|c| c.position).collect();
                let command = on_event(id, self.moderate(ContentAction::Remove));
                let diff = (json!({ "removed": false }), json!({ "removed": true }));
                self.step("remove_event", "event", id, reverts, diff, command);
            }
            return Ok(());
        }
        let mut edits: Vec<&StoredEvent> = vec![];
        let posted: BTreeSet<String> = mine
            .iter()
            .filter_map(|c| match change_of(c) {
                Some(EventChange::CommentPosted { comment, .. }) => Some(comment),
                _ => None,
            })
            .collect();
        let mut comment_edits: BTreeMap<String, Vec<&StoredEvent>> = BTreeMap::new();
        // The window's edits of each comment, by position.
        let mut edited: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for change in mine {
            if let Some(EventChange::CommentEdited { comment, .. }) = change_of(change) {
                edited.entry(comment).or_default().push(change.position);
            }
        }
        for change in mine {
            match change_of(change) {
                Some(EventChange::Updated { .. }) => edits.push(change),
                Some(EventChange::CommentPosted { comment, .. }) => {
                    let mut reverts = vec![change.position];
                    reverts.extend(edited.get(&comment).into_iter().flatten());
                    if event.comment_shown(&comment) {
                        let action = ContentAction::RemoveComment {
                            comment: comment.clone(),
                        };
                        let command = on_event(id, self.moderate(action));
                        let diff = (json!({ "shown": true }), json!({ "shown": false }));
                        self.step(
                            "remove_comment",
                            "comment",
                            &comment,
                            reverts,
                            diff,
                            command,
                        );
                    } else {
                        self.keep(change, "the comment is already deleted or removed");
                    }
                }
                Some(EventChange::CommentEdited { comment, .. }) => {
                    if !posted.contains(&comment) {
                        comment_edits.entry(comment).or_default().push(change);
                    }
                }
                Some(EventChange::Joined {
                    who: Participant::Profile(profile),
                    ..
                }) => {
                    let taking_part = event
                        .participation_of(&Participant::Profile(profile.clone()))
                        .is_some();
                    if taking_part {
                        let command = on_event(
                            id,
                            EventCommand::Leave {
                                profile: profile.clone(),
                            },
                        );
                        let diff = (
                            json!({ "participant": profile, "taking_part": true }),
                            json!({ "participant": profile, "taking_part": false }),
                        );
                        let reverts = vec![change.position];
                        self.step("leave_event", "event", id, reverts, diff, command);
                    } else {
                        self.keep(change, "no longer taking part");
                    }
                }
                Some(EventChange::Left { participation }) => {
                    let joined = history.iter().find_map(|(s, h)| match h {
                        EventChange::Joined {
                            participation: p,
                            who: Participant::Profile(profile),
                            ..
                        } if *p == participation => Some((s.position, profile.clone())),
                        _ => None,
                    });
                    let Some((joined_at, profile)) = joined else {
                        self.keep(change, "not undone automatically: decide on it by hand");
                        continue;
                    };
                    // Joined and left within the window: as before it, not taking part.
                    if self.reverted.contains(&joined_at) {
                        self.keep(change, "joined within the window too: nothing to undo");
                        continue;
                    }
                    let back = event
                        .participation_of(&Participant::Profile(profile.clone()))
                        .is_some();
                    if back {
                        self.keep(change, "taking part again already");
                        continue;
                    }
                    let command = on_event(
                        id,
                        EventCommand::Join {
                            participation: uuid::Uuid::new_v4().to_string(),
                            profile: profile.clone(),
                            message: None,
                        },
                    );
                    let diff = (
                        json!({ "participant": profile, "taking_part": false }),
                        json!({ "participant": profile, "taking_part": true }),
                    );
                    let reverts = vec![change.position];
                    self.step("join_again", "event", id, reverts, diff, command);
                }
                Some(EventChange::Moderated { action, .. }) => {
                    // The window's decisions on one thing are undone together, back to how
                    // it was before the first of them.
                    let (undo, key) = undoing(&action);
                    let same: Vec<i64> = mine
                        .iter()
                        .filter(|c| {
                            matches!(change_of(c), Some(EventChange::Moderated { action, .. })
                                if undoing(&action).1 == key)
                        })
                        .map(|c| c.position)
                        .collect();
                    if same.first() != Some(&change.position) {
                        continue;
                    }
                    let later = self.changed_since(&history, change.position, |h| {
                        matches!(h, EventChange::Moderated { action, .. } if undoing(action).1 == key)
                    });
                    if !in_force(&event, &action) {
                        self.keep(change, "already as before");
                    } else if let Some(later) = later {
                        self.conflict(change, None, later);
                    } else {
                        let command = on_event(id, self.moderate(undo.clone()));
                        let diff = (json!({ "decision": action }), json!({ "decision": undo }));
                        self.step("undo_decision", "event", id, same, diff, command);
                    }
                }
                _ => self.keep(change, "not undone automatically: decide on it by hand"),
            }
        }
        self.restore_comments(id, &event, &history, comment_edits);
        self.restore_details(id, &event, &history, &edits)
    }

    /// Comments edited (not posted) in the window get their body back as it was before.
    fn restore_comments(
        &mut self,
        id: &str,
        event: &Event,
        history: &[(StoredEvent, EventChange)],
        edits: BTreeMap<String, Vec<&StoredEvent>>,
    ) {
        for (comment, changes) in edits {
            let first = changes[0].position;
            let mut author = None;
            let mut before = None;
            let mut now = None;
            for (stored, change) in history {
                match change {
                    EventChange::CommentPosted {
                        comment: c,
                        author: a,
                        body,
                        ..
                    } if *c == comment => {
                        author = Some(a.clone());
                        now = Some(body.clone());
                    }
                    EventChange::CommentEdited { comment: c, body } if *c == comment => {
                        now = Some(body.clone());
                    }
                    _ => continue,
                }
                if stored.position < first {
                    before.clone_from(&now);
                }
            }
            let (Some(author), Some(before), Some(now)) = (author, before, now) else {
                continue;
            };
            let later = self.changed_since(
                history,
                first,
                |h| matches!(h, EventChange::CommentEdited { comment: c, .. } if *c == comment),
            );
            if !event.comment_shown(&comment) || before == now {
                for change in changes {
                    self.keep(change, "already as before, or no longer shown");
                }
            } else if let Some(later) = later {
                for change in changes {
                    self.conflict(change, Some("body"), later);
                }
            } else {
                let command = on_event(
                    id,
                    EventCommand::EditComment {
                        comment: comment.clone(),
                        by: author,
                        body: before.clone(),
                    },
                );
                let reverts = changes.iter().map(|c| c.position).collect();
                let diff = (json!({ "body": now }), json!({ "body": before }));
                self.step(
                    "restore_comment",
                    "comment",
                    &comment,
                    reverts,
                    diff,
                    command,
                );
            }
        }
    }

    /// Each field the window's edits changed goes back to its value before the first of them,
    /// unless someone else changed it since.
    fn restore_details(
        &mut self,
        id: &str,
        event: &Event,
        history: &[(StoredEvent, EventChange)],
        edits: &[&StoredEvent],
    ) -> Result<()> {
        let Some(current) = event.details() else {
            return Ok(());
        };
        let current = serde_json::to_value(current).map_err(Error::internal)?;
        let details_at = |position: i64| -> Option<Value> {
            history
                .iter()
                .filter(|(s, _)| s.position < position)
                .filter_map(|(_, c)| match c {
                    EventChange::Created { details, .. }
                    | EventChange::Imported { details, .. }
                    | EventChange::Updated { details, .. } => serde_json::to_value(details).ok(),
                    _ => None,
                })
                .next_back()
        };
        let fields_of = |position: i64| -> Vec<String> {
            history
                .iter()
                .find(|(s, _)| s.position == position)
                .and_then(|(_, c)| match c {
                    EventChange::Updated { fields, .. } => Some(fields.clone()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let mut first_edit: BTreeMap<String, i64> = BTreeMap::new();
        for edit in edits {
            for field in fields_of(edit.position) {
                first_edit.entry(field).or_insert(edit.position);
            }
        }
        let (mut before, mut after, mut reverts) = (Map::new(), Map::new(), BTreeSet::new());
        let mut settled: BTreeSet<i64> = BTreeSet::new();
        for (field, first) in &first_edit {
            let Some(old) = details_at(*first).map(|d| d[field].clone()) else {
                continue;
            };
            let touching: Vec<i64> = edits
                .iter()
                .filter(|e| fields_of(e.position).contains(field))
                .map(|e| e.position)
                .collect();
            if current[field] == old {
                settled.extend(&touching);
                continue;
            }
            let later = self.changed_since(
                history,
                *first,
                |c| matches!(c, EventChange::Updated { fields, .. } if fields.contains(field)),
            );
            if let Some(later) = later {
                let later = later.clone();
                for edit in edits.iter().filter(|e| touching.contains(&e.position)) {
                    self.conflict(edit, Some(field), &later);
                }
                continue;
            }
            before.insert(field.clone(), current[field].clone());
            after.insert(field.clone(), old);
            // A description comes back with the source it was made from.
            if field == "description" {
                let source = details_at(*first).map(|d| d["description_source"].clone());
                after.insert("description_source".into(), source.unwrap_or(Value::Null));
            }
            reverts.extend(touching);
        }
        for edit in edits {
            if settled.contains(&edit.position) && !reverts.contains(&edit.position) {
                self.keep(edit, "already as before");
            }
        }
        if after.is_empty() {
            return Ok(());
        }
        let patch: EventPatch =
            serde_json::from_value(Value::Object(after.clone())).map_err(Error::internal)?;
        let command = on_event(
            id,
            EventCommand::Update {
                by: event.organiser().to_string(),
                patch,
            },
        );
        let diff = (Value::Object(before), Value::Object(after));
        let reverts = reverts.into_iter().collect();
        self.step("restore_event", "event", id, reverts, diff, command);
        Ok(())
    }

    fn profile(&mut self, id: &str, stored: &[StoredEvent], mine: &[StoredEvent]) -> Result<()> {
        let profile: Profile = fold(stored)?;
        let history: Vec<(StoredEvent, ProfileChange)> = stored
            .iter()
            .map(|s| Ok((s.clone(), s.change::<ProfileChange>()?)))
            .collect::<Result<_>>()?;
        let change_of = lookup(&history);
        // A profile made in the window is suspended: its public content hidden, kept as
        // evidence.
        if mine
            .iter()
            .any(|c| matches!(change_of(c), Some(ProfileChange::Created { .. })))
        {
            if profile.suspended() {
                for change in mine {
                    self.keep(change, "already suspended");
                }
            } else {
                let command = Command::Profile(
                    id.into(),
                    ProfileCommand::Moderate {
                        action: ProfileAction::Suspend,
                        decision: self.decision.clone(),
                    },
                );
                let reverts = mine.iter().map(|c| c.position).collect();
                let diff = (json!({ "suspended": false }), json!({ "suspended": true }));
                self.step("suspend_profile", "profile", id, reverts, diff, command);
            }
            return Ok(());
        }
        // The name and summary as they were before the window's first change of each.
        let value_at = |field: &str, position: Option<i64>| -> String {
            let mut value = String::new();
            for (stored, change) in &history {
                if position.is_some_and(|p| stored.position >= p) {
                    break;
                }
                match (field, change) {
                    ("display_name", ProfileChange::Created { display_name, .. })
                    | ("display_name", ProfileChange::Renamed { display_name }) => {
                        value.clone_from(display_name)
                    }
                    ("summary", ProfileChange::SummaryChanged { summary }) => {
                        value.clone_from(summary)
                    }
                    _ => {}
                }
            }
            value
        };
        let field_of = |change: &ProfileChange| match change {
            ProfileChange::Renamed { .. } => Some("display_name"),
            ProfileChange::SummaryChanged { .. } => Some("summary"),
            _ => None,
        };
        let (mut before, mut after, mut reverts) = (Map::new(), Map::new(), vec![]);
        for field in ["display_name", "summary"] {
            let touching: Vec<&StoredEvent> = mine
                .iter()
                .filter(|c| change_of(c).as_ref().and_then(field_of) == Some(field))
                .collect();
            let Some(first) = touching.first() else {
                continue;
            };
            let (old, now) = (value_at(field, Some(first.position)), value_at(field, None));
            let later =
                self.changed_since(&history, first.position, |c| field_of(c) == Some(field));
            if old == now {
                for change in &touching {
                    self.keep(change, "already as before");
                }
            } else if let Some(later) = later {
                let later = later.clone();
                for change in &touching {
                    self.conflict(change, Some(field), &later);
                }
            } else {
                before.insert(field.into(), json!(now));
                after.insert(field.into(), json!(old));
                reverts.extend(touching.iter().map(|c| c.position));
            }
        }
        for change in mine {
            match change_of(change) {
                Some(c) if field_of(&c).is_some() => {}
                Some(ProfileChange::Moderated { action, .. }) => {
                    // The window's suspensions and liftings are undone together, and so are
                    // its limits and liftings.
                    let same: Vec<i64> = mine
                        .iter()
                        .filter(|c| {
                            matches!(change_of(c), Some(ProfileChange::Moderated { action: a, .. })
                                if a.on_suspension() == action.on_suspension())
                        })
                        .map(|c| c.position)
                        .collect();
                    if same.first() == Some(&change.position) {
                        self.undo_profile_decision(id, &profile, &history, (change, same), action)
                    }
                }
                _ => self.keep(change, "not undone automatically: decide on it by hand"),
            }
        }
        if !after.is_empty() {
            let text = |field: &str| after.get(field).and_then(Value::as_str).map(str::to_string);
            let command = Command::Profile(
                id.into(),
                ProfileCommand::Update {
                    display_name: text("display_name"),
                    summary: text("summary"),
                },
            );
            let diff = (Value::Object(before), Value::Object(after));
            self.step("restore_profile", "profile", id, reverts, diff, command);
        }
        Ok(())
    }

    /// A moderator's suspension of someone's profile (or its lifting), undone.
    fn undo_profile_decision(
        &mut self,
        id: &str,
        profile: &Profile,
        history: &[(StoredEvent, ProfileChange)],
        (change, same): (&StoredEvent, Vec<i64>),
        action: ProfileAction,
    ) {
        let undo = action.opposite();
        let later = self.changed_since(history, change.position, |c| {
            matches!(c, ProfileChange::Moderated { action: a, .. }
                if a.on_suspension() == action.on_suspension())
        });
        if profile.decided(action) != action.imposes() {
            self.keep(change, "already as before");
        } else if let Some(later) = later {
            let later = later.clone();
            self.conflict(change, None, &later);
        } else {
            let command = Command::Profile(
                id.into(),
                ProfileCommand::Moderate {
                    action: undo,
                    decision: self.decision.clone(),
                },
            );
            let diff = (json!({ "decision": action }), json!({ "decision": undo }));
            self.step("undo_decision", "profile", id, same, diff, command);
        }
    }

    /// A group: the window's suspensions and liftings of it undone together, back to how it was
    /// before the first; anything else done in a group is kept for a moderator.
    fn group(&mut self, id: &str, stored: &[StoredEvent], mine: &[StoredEvent]) -> Result<()> {
        let group: Group = fold(stored)?;
        let history: Vec<(StoredEvent, GroupChange)> = stored
            .iter()
            .map(|s| Ok((s.clone(), s.change::<GroupChange>()?)))
            .collect::<Result<_>>()?;
        let change_of = lookup(&history);
        let decided = |c: &StoredEvent| matches!(change_of(c), Some(GroupChange::Moderated { .. }));
        let same: Vec<i64> = mine
            .iter()
            .filter(|c| decided(c))
            .map(|c| c.position)
            .collect();
        for change in mine {
            let Some(GroupChange::Moderated { action, .. }) = change_of(change) else {
                self.keep(change, "not undone automatically: decide on it by hand");
                continue;
            };
            if same.first() != Some(&change.position) {
                continue;
            }
            let undo = match action {
                GroupAction::Suspend => GroupAction::Unsuspend,
                GroupAction::Unsuspend => GroupAction::Suspend,
            };
            let later = self.changed_since(&history, change.position, |c| {
                matches!(c, GroupChange::Moderated { .. })
            });
            if group.suspended() != (action == GroupAction::Suspend) {
                self.keep(change, "already as before");
            } else if let Some(later) = later {
                let later = later.clone();
                self.conflict(change, None, &later);
            } else {
                let command = Command::Group(
                    id.into(),
                    GroupCommand::Moderate {
                        action: undo,
                        decision: self.decision.clone(),
                    },
                );
                let diff = (json!({ "decision": action }), json!({ "decision": undo }));
                self.step("undo_decision", "group", id, same.clone(), diff, command);
            }
        }
        Ok(())
    }

    fn account(&mut self, id: &str, stored: &[StoredEvent], mine: &[StoredEvent]) -> Result<()> {
        let account: Account = fold(stored)?;
        let history: Vec<(StoredEvent, AccountChange)> = stored
            .iter()
            .map(|s| Ok((s.clone(), s.change::<AccountChange>()?)))
            .collect::<Result<_>>()?;
        let change_of = lookup(&history);
        let mut email_restored = false;
        for change in mine {
            match change_of(change) {
                // The address before the window's first change of it comes back: a reset link
                // must reach the owner, not whoever took the account.
                Some(AccountChange::EmailChanged { previous, .. }) if !email_restored => {
                    email_restored = true;
                    let now = history
                        .iter()
                        .filter_map(|(_, c)| match c {
                            AccountChange::Registered { email, .. }
                            | AccountChange::EmailChanged { email, .. } => Some(email.clone()),
                            _ => None,
                        })
                        .next_back()
                        .unwrap_or_default();
                    let later = self.changed_since(&history, change.position, |c| {
                        matches!(c, AccountChange::EmailChanged { .. })
                    });
                    if now == previous {
                        self.keep(change, "already as before");
                    } else if let Some(later) = later {
                        let later = later.clone();
                        self.conflict(change, Some("email"), &later);
                    } else {
                        let reverts = mine
                            .iter()
                            .filter(|c| {
                                matches!(change_of(c), Some(AccountChange::EmailChanged { .. }))
                            })
                            .map(|c| c.position)
                            .collect();
                        let command = Command::Account(
                            id.into(),
                            AccountCommand::RestoreEmail {
                                email: previous.clone(),
                            },
                        );
                        let diff = (json!({ "email": now }), json!({ "email": previous }));
                        self.step("restore_email", "account", id, reverts, diff, command);
                    }
                }
                Some(AccountChange::EmailChanged { .. }) => {}
                Some(AccountChange::Moderated { action, .. }) if action.opposite().is_some() => {
                    // The window's suspensions and liftings are undone together, and so are its
                    // limits and liftings.
                    let undo = action.opposite().unwrap_or(action);
                    let alike = |c: &AccountChange| {
                        matches!(c, AccountChange::Moderated { action: a, .. }
                            if *a == action || *a == undo)
                    };
                    let same: Vec<i64> = mine
                        .iter()
                        .filter(|c| change_of(c).is_some_and(|c| alike(&c)))
                        .map(|c| c.position)
                        .collect();
                    if same.first() != Some(&change.position) {
                        continue;
                    }
                    let later = self.changed_since(&history, change.position, alike);
                    let in_force = match action {
                        AccountAction::Suspend | AccountAction::Unsuspend => account.suspended(),
                        _ => account.limited(),
                    };
                    if in_force != action.imposes() {
                        self.keep(change, "already as before");
                    } else if let Some(later) = later {
                        let later = later.clone();
                        self.conflict(change, None, &later);
                    } else {
                        let command = Command::Account(
                            id.into(),
                            AccountCommand::Moderate {
                                action: undo,
                                decision: self.decision.clone(),
                            },
                        );
                        let diff = (json!({ "decision": action }), json!({ "decision": undo }));
                        self.step("undo_decision", "account", id, same, diff, command);
                    }
                }
                Some(
                    AccountChange::PasswordChanged { .. }
                    | AccountChange::SessionOpened { .. }
                    | AccountChange::SessionClosed { .. },
                ) => self.keep(
                    change,
                    "the lock-out closes every session and asks for a new password",
                ),
                _ => self.keep(change, "not undone automatically: decide on it by hand"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_content_decision_is_undone_by_its_opposite_on_the_same_thing() {
        use ContentAction as A;
        let comment = || "c1".to_string();
        let all = [
            A::Hide,
            A::Unhide,
            A::Remove,
            A::Restore,
            A::CloseComments,
            A::ReopenComments,
            A::RemoveComment { comment: comment() },
            A::RestoreComment { comment: comment() },
        ];
        for action in all {
            let (undo, key) = undoing(&action);
            assert_ne!(undo, action);
            let (again, same_key) = undoing(&undo);
            assert_eq!(again, action, "undoing twice gives the decision back");
            assert_eq!(key, same_key);
        }
    }
}
