//! The instance as its administrators run it: its settings (what the about pages and NodeInfo
//! say, who may register), registrations waiting for approval, the switch to approval when no
//! moderator is around, a dashboard, and the public transparency log.

use crate::account_mail::{self, AccountMail};
use crate::auth::{Origin, Session};
use crate::consistency::command;
use crate::error::{Error, Result};
use crate::reports::require_moderator;
use crate::AppState;
use convene_domain::event::details::Visibility;
use convene_domain::instance::{
    InstanceSettings, Registrations, Rule, SettingsInput, Transparency, INSTANCE_ID,
};
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::Decision;
use convene_domain::{AccountCommand, Actor, ClaimCommand, InstanceCommand, InstanceError};
use convene_projections::instance::{self as read, TransparencyRow};
use convene_projections::read_model::{ACCOUNTS, INSTANCE_SETTINGS};
use convene_projections::{accounts, events, profiles, EventLog};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

impl From<InstanceError> for Error {
    fn from(error: InstanceError) -> Self {
        match error {
            InstanceError::Invalid(errors) => Error::Invalid(errors),
        }
    }
}

/// What time it is for use cases that count days (the switch to approval): the system's clock,
/// or one set ahead in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    /// The system's clock, `ahead` in the future.
    pub fn ahead(ahead: Duration) -> Self {
        Self(Arc::new(move || OffsetDateTime::now_utc() + ahead))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

/// The settings in force: as the administrators last saved them, or the configuration's
/// defaults before they first do.
pub async fn settings(state: &AppState) -> Result<InstanceSettings> {
    Ok(read::settings(state.db.pool())
        .await?
        .unwrap_or_else(|| defaults(state)))
}

fn defaults(state: &AppState) -> InstanceSettings {
    InstanceSettings {
        registrations: state.config.registrations.clone(),
        ..InstanceSettings::default()
    }
}

/// The settings in force, for the administrators who edit them.
pub async fn settings_for_administrators(
    state: &AppState,
    session: &Session,
) -> Result<InstanceSettings> {
    session.require_administrator("the instance's settings are for its administrators")?;
    settings(state).await
}

/// Saves the instance's settings (administrators only) and returns them as now in force.
pub async fn change_settings(
    state: &AppState,
    session: &Session,
    input: SettingsInput,
) -> Result<InstanceSettings> {
    let change = InstanceCommand::ChangeSettings {
        input,
        current: settings_for_administrators(state, session).await?,
    };
    let reads = &[INSTANCE_SETTINGS];
    command(
        state,
        &state.instances,
        INSTANCE_ID,
        change,
        &session.metadata(),
        reads,
    )
    .await?;
    settings(state).await
}

/// Who may register now. Open registrations switch to approval first (a change in the log,
/// by the instance itself) when the settings ask for it and no moderator or administrator has
/// changed anything for that many days.
pub async fn registrations_now(state: &AppState, origin: &Origin) -> Result<Registrations> {
    let current = settings(state).await?;
    let Some(days) = current.approval_after_idle_days else {
        return Ok(current.registrations);
    };
    if current.registrations != Registrations::Open {
        return Ok(current.registrations);
    }
    let last = last_staff_activity(state).await?;
    let now = state.clock.now();
    if !idle_for(last, days, now) {
        return Ok(current.registrations);
    }
    let switch = InstanceCommand::SwitchToApproval {
        current,
        idle_days: days,
        last_activity: last.map(format_timestamp).unwrap_or_default(),
    };
    let metadata = origin.by(Actor::System).with_reason(format!(
        "no moderator or administrator acted for {days} days: registrations wait for approval"
    ));
    let reads = &[INSTANCE_SETTINGS];
    command(
        state,
        &state.instances,
        INSTANCE_ID,
        switch,
        &metadata,
        reads,
    )
    .await?;
    tracing::warn!(
        days,
        "registrations switched to approval: no moderator acted"
    );
    Ok(settings(state).await?.registrations)
}

/// Whether the staff's last change (`last`; none: the instance's first change counts) is
/// more than `days` days before `now`.
fn idle_for(last: Option<OffsetDateTime>, days: u16, now: OffsetDateTime) -> bool {
    last.is_some_and(|last| now - last > Duration::days(i64::from(days)))
}

/// When a moderator or administrator last changed anything; the log's first change when none
/// ever did (a new instance is not idle), none on an empty log.
async fn last_staff_activity(state: &AppState) -> Result<Option<OffsetDateTime>> {
    let log = EventLog::new(&state.db);
    let mut last: Option<OffsetDateTime> = None;
    for account in accounts::staff(state.db.pool()).await? {
        if let Some(change) = log.last_change_by(&account).await? {
            let at = change.metadata()?.recorded_at;
            last = Some(last.map_or(at, |l| l.max(at)));
        }
    }
    if last.is_none() {
        if let Some(first) = log.read_after(0, 1).await?.first() {
            last = Some(first.metadata()?.recorded_at);
        }
    }
    Ok(last)
}

/// A registration waiting for approval, as moderators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingRegistration {
    pub account: String,
    pub email: String,
    pub locale: String,
    /// Why the person asks to join.
    pub reason: String,
    /// Whether the address is confirmed yet.
    pub confirmed: bool,
    pub registered_at: String,
    /// The profiles the account made meanwhile.
    pub profiles: Vec<String>,
}

/// The registrations waiting for approval, oldest first (moderators and administrators).
pub async fn pending_registrations(
    state: &AppState,
    session: &Session,
) -> Result<Vec<PendingRegistration>> {
    require_moderator(session)?;
    let pool = state.db.pool();
    let mut pending = Vec::new();
    for account in accounts::awaiting_approval(pool).await? {
        let profiles = profiles::owned_by(pool, &account.id)
            .await?
            .into_iter()
            .map(|p| p.username)
            .collect();
        pending.push(PendingRegistration {
            reason: account.application.unwrap_or_default(),
            account: account.id,
            email: account.email,
            locale: account.locale,
            confirmed: account.confirmed,
            registered_at: account.created_at,
            profiles,
        });
    }
    Ok(pending)
}

/// A moderator's answer to a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

/// Approves or rejects a registration waiting for approval (moderators and administrators),
/// and mails the person in their language. A rejection needs a reason (kept for moderators,
/// never mailed) and frees the address.
pub async fn decide_registration(
    state: &AppState,
    session: &Session,
    account: &str,
    verdict: Verdict,
    reason: &str,
) -> Result<()> {
    require_moderator(session)?;
    let pool = state.db.pool();
    let found = accounts::by_id(pool, account)
        .await?
        .filter(|a| a.awaiting_approval)
        .ok_or_else(|| {
            Error::not_found(format!("no registration waits for approval as {account}"))
        })?;
    let metadata = session.metadata();
    let change = match verdict {
        Verdict::Approve => AccountCommand::ApproveRegistration {
            moderator: session.account.id.clone(),
        },
        Verdict::Reject => {
            let decision = Decision::by_moderator(
                session.account.id.clone(),
                reason,
                None,
                None,
                OffsetDateTime::now_utc(),
            )
            .map_err(|e| Error::Invalid(vec![e]))?;
            AccountCommand::RejectRegistration { decision }
        }
    };
    let metadata = if reason.trim().is_empty() {
        metadata
    } else {
        metadata.with_reason(reason.trim())
    };
    command(
        state,
        &state.accounts,
        account,
        change,
        &metadata,
        &[ACCOUNTS],
    )
    .await?;
    if verdict == Verdict::Reject {
        let release = ClaimCommand::Release {
            owner: account.to_string(),
        };
        let claim = convene_domain::claim::email_claim(&found.email);
        if let Err(error) = command(state, &state.claims, &claim, release, &metadata, &[]).await {
            tracing::warn!(%error, "a rejected registration's address could not be released");
        }
    }
    let mail = match verdict {
        Verdict::Approve => AccountMail::RegistrationApproved,
        Verdict::Reject => AccountMail::RegistrationRejected,
    };
    let values = [("base", state.config.public_url.as_str())];
    account_mail::send(state, mail, &found.locale, &found.email, &values).await;
    Ok(())
}

/// Counts for the dashboard (moderators and administrators).
pub async fn dashboard(state: &AppState, session: &Session) -> Result<Dashboard> {
    require_moderator(session)?;
    Ok(Dashboard {
        counts: read::counts(state.db.pool()).await?,
        registrations: settings(state).await?.registrations.as_str().to_string(),
    })
}

/// The instance at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    #[serde(flatten)]
    pub counts: read::Counts,
    /// Who may register now: `open`, `approval`, `allowlist` or `closed`.
    pub registrations: String,
}

/// An account as the administration lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountSummary {
    pub id: String,
    pub email: String,
    /// `user`, `moderator` or `administrator`.
    pub role: String,
    pub confirmed: bool,
    pub disabled: bool,
    pub suspended: bool,
    pub awaiting_approval: bool,
    /// Warnings received.
    pub strikes: i64,
    pub created_at: String,
    /// Its profiles' usernames.
    pub profiles: Vec<String>,
}

/// A page of accounts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountList {
    pub page: i64,
    pub accounts: Vec<AccountSummary>,
    /// Whether another page follows.
    pub more: bool,
}

/// Accounts, newest first, 50 a page, whose address or one of whose profiles (username or
/// display name) contains `words` (moderators and administrators).
pub async fn accounts(
    state: &AppState,
    session: &Session,
    words: &str,
    page: i64,
) -> Result<AccountList> {
    require_moderator(session)?;
    if page < 1 {
        return Err(Error::invalid_field("page", "a page number, from 1"));
    }
    let pool = state.db.pool();
    let mut found = accounts::search(pool, words, page).await?;
    let more = found.len() as i64 > accounts::LIST_PAGE;
    found.truncate(accounts::LIST_PAGE as usize);
    let mut listed = Vec::new();
    for account in found {
        let profiles = profiles::owned_by(pool, &account.id)
            .await?
            .into_iter()
            .map(|p| p.username)
            .collect();
        listed.push(AccountSummary {
            id: account.id,
            email: account.email,
            role: account.role.as_str().to_string(),
            confirmed: account.confirmed,
            disabled: account.disabled,
            suspended: account.suspended,
            awaiting_approval: account.awaiting_approval,
            strikes: account.strikes,
            created_at: account.created_at,
            profiles,
        });
    }
    Ok(AccountList {
        page,
        accounts: listed,
        more,
    })
}

/// What a published decision is about, as the public may know it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicTarget {
    /// `event`, `comment`, `profile`, `account` or `domain`.
    pub kind: String,
    /// The event's title, the profile's handle or the domain, when the public may know it.
    pub label: Option<String>,
    /// Where it is (an event's or a profile's page), when it is public.
    pub url: Option<String>,
}

/// One published moderation decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransparencyEntry {
    /// Its log position: entries link to one another by it.
    pub id: i64,
    pub decided_at: String,
    /// The change's name: `EventRemoved`, `CommentRemoved`, `ProfileSuspended`,
    /// `DomainLifted`…
    pub action: String,
    pub target: PublicTarget,
    /// The category of the report it answers (`spam`, `illegal`, `rule_violation`, `other`).
    pub category: Option<String>,
    /// The instance's rules the report named.
    pub rules: Vec<Rule>,
    /// What the moderators said for everyone to read.
    pub public_comment: Option<String>,
    /// The moderator's profile, when the instance names its moderators.
    pub moderator: Option<String>,
    /// The earlier decision this one undoes, and the later one that undid it.
    pub undoes: Option<i64>,
    pub undone_by: Option<i64>,
}

/// A page of the transparency log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransparencyPage {
    pub entries: Vec<TransparencyEntry>,
    /// Pass as `before` for the next (older) page; none on the last.
    pub next: Option<i64>,
}

/// Entries per page of the transparency log.
pub const TRANSPARENCY_PAGE: i64 = 50;

/// The public transparency log, newest first, when the instance publishes it (404 otherwise):
/// what was decided, on what, under which rules, with the public comment; never the reason,
/// the reporter, open reports, warnings or lock-outs, nor who holds a suspended account.
pub async fn transparency(state: &AppState, before: Option<i64>) -> Result<TransparencyPage> {
    let settings = settings(state).await?;
    if settings.transparency == Transparency::Off {
        return Err(Error::not_found(
            "this instance does not publish its moderation decisions",
        ));
    }
    let pool = state.db.pool();
    let rows = read::transparency(pool, before, TRANSPARENCY_PAGE + 1).await?;
    let next = (rows.len() as i64 > TRANSPARENCY_PAGE)
        .then(|| rows[TRANSPARENCY_PAGE as usize - 1].position);
    let mut entries = Vec::new();
    for row in rows.into_iter().take(TRANSPARENCY_PAGE as usize) {
        entries.push(published(state, &settings, row).await?);
    }
    Ok(TransparencyPage { entries, next })
}

async fn published(
    state: &AppState,
    settings: &InstanceSettings,
    row: TransparencyRow,
) -> Result<TransparencyEntry> {
    let pool = state.db.pool();
    let base = &state.config.public_url;
    let public_event = |id: &str| {
        let id = id.to_string();
        async move {
            let event = events::find(pool, &id).await?;
            Ok::<_, Error>(event.filter(|e| {
                !e.draft && !e.removed_by_moderators && e.details.visibility == Visibility::Public
            }))
        }
    };
    let target = match row.target_kind.as_str() {
        "event" => {
            let event = public_event(&row.target_id).await?;
            PublicTarget {
                kind: row.target_kind.clone(),
                url: event.as_ref().map(|e| format!("{base}/events/{}", e.id)),
                label: event.map(|e| e.details.title),
            }
        }
        "comment" => {
            let event = match &row.event_id {
                Some(id) => public_event(id).await?,
                None => None,
            };
            PublicTarget {
                kind: row.target_kind.clone(),
                url: event.as_ref().map(|e| format!("{base}/events/{}", e.id)),
                label: event.map(|e| e.details.title),
            }
        }
        "profile" | "group" => PublicTarget {
            kind: row.target_kind.clone(),
            label: Some(format!("@{}", row.target_id)),
            url: Some(format!("{base}/@{}", row.target_id)),
        },
        "domain" => PublicTarget {
            kind: row.target_kind.clone(),
            label: state.domain_decisions_public.then(|| row.target_id.clone()),
            url: None,
        },
        // Which profiles an account holds is nobody else's business.
        _ => PublicTarget {
            kind: row.target_kind.clone(),
            label: None,
            url: None,
        },
    };
    let moderator = match (&row.moderator, settings.transparency) {
        (Some(account), Transparency::Named) => accounts::by_id(pool, account)
            .await?
            .and_then(|a| a.default_profile)
            .map(|p| format!("@{p}")),
        _ => None,
    };
    let rules = row
        .rules
        .iter()
        .filter_map(|id| id.trim().parse::<u32>().ok())
        .map(|id| Rule {
            id,
            text: settings
                .rules
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.text.clone())
                .unwrap_or_default(),
        })
        .collect();
    // A domain's public comment may name it: shown only where the domain is.
    let public_comment = match row.target_kind.as_str() {
        "domain" if !state.domain_decisions_public => None,
        _ => row.public_comment,
    };
    Ok(TransparencyEntry {
        id: row.position,
        decided_at: row.decided_at,
        action: row.change,
        target,
        category: row.category,
        rules,
        public_comment,
        moderator,
        undoes: row.undoes,
        undone_by: row.undone_by,
    })
}

#[cfg(test)]
mod tests {
    use super::idle_for;
    use time::macros::datetime;

    #[test]
    fn registrations_switch_only_after_the_whole_idle_time() {
        let last = Some(datetime!(2026-11-01 12:00 UTC));
        assert!(!idle_for(last, 7, datetime!(2026-11-08 12:00 UTC)));
        assert!(idle_for(last, 7, datetime!(2026-11-08 12:01 UTC)));
        assert!(!idle_for(None, 7, datetime!(2030-01-01 00:00 UTC)));
    }
}
