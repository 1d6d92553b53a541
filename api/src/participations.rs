//! Taking part: join and leave as a profile, anonymous participation confirmed by email, and
//! the organisers' list (and its CSV), approvals, rejections and roles.

use crate::access::{self, Viewer};
use crate::account_mail::{self, AccountMail};
use crate::auth::{new_token, token_hash, Acting, Origin, Session};
use crate::consistency;
use crate::error::{Error, Result};
use crate::events::READS;
use crate::throttle::{attempt, Action};
use crate::AppState;
use base64::Engine;
use convene_domain::event::ParticipantState;
use convene_domain::{EventCommand, EventError};
use convene_projections::events::{self, ParticipationView, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// A few words for the organisers.
    pub message: Option<String>,
}

/// A participation without the anonymous participant's email: it never leaves the instance.
pub(crate) fn public(mut view: ParticipationView) -> ParticipationView {
    view.email = None;
    view
}

/// Participation `pid` of event `event`.
async fn find(state: &AppState, event: &str, pid: &str) -> Result<ParticipationView> {
    events::participation(state.db.pool(), event, pid)
        .await?
        .map(public)
        .ok_or_else(|| Error::not_found("there is no such participation in this event"))
}

/// Joins event `id` as the acting profile; returns the new participation.
pub async fn join(
    state: &AppState,
    acting: &Acting,
    id: &str,
    request: JoinRequest,
) -> Result<ParticipationView> {
    // What one may not see, one may not join (a private event answers not found).
    access::event_for(state, Some(&acting.session), id).await?;
    let participation = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::Join {
        participation: participation.clone(),
        profile: acting.profile.clone(),
        message: request.message,
    };
    consistency::command(state, &state.events, id, command, &acting.metadata(), READS).await?;
    find(state, id, &participation).await
}

/// Leaves event `id` as the acting profile; a freed seat goes to the first on the waitlist.
pub async fn leave(state: &AppState, acting: &Acting, id: &str) -> Result<()> {
    let command = EventCommand::Leave {
        profile: acting.profile.clone(),
    };
    consistency::command(state, &state.events, id, command, &acting.metadata(), READS)
        .await
        .map(drop)
}

/// The participations of `session`'s own profiles in event `id` (as any of them).
pub async fn own(state: &AppState, session: &Session, id: &str) -> Result<Vec<ParticipationView>> {
    let (_, own) = access::relation(state, Some(&session.account), id).await?;
    Ok(own.into_iter().map(public).collect())
}

/// The participants of event `id` (optionally only those in state `wanted`, such as
/// `waitlisted`), for its organisers and the instance's moderators.
pub async fn participants(
    state: &AppState,
    session: &Session,
    id: &str,
    wanted: Option<&str>,
) -> Result<Vec<ParticipationView>> {
    let viewer = access::viewer(state, Some(&session.account), id).await?;
    if !viewer.insider() {
        // A hidden event stays hidden: not found before forbidden.
        access::visible(state, viewer, id).await?;
    }
    access::may_list_participants(viewer)?;
    let wanted = wanted
        .map(|text| {
            ParticipantState::parse(text).ok_or_else(|| {
                Error::invalid_field("state", format!("`{text}` is not a participation state"))
            })
        })
        .transpose()?;
    Ok(events::participations(state.db.pool(), id, wanted)
        .await?
        .into_iter()
        .map(public)
        .collect())
}

/// Participations as CSV: who (never an email), state, place on the waitlist, message, date.
pub fn csv(found: &[ParticipationView]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "participant",
        "state",
        "waitlist_position",
        "message",
        "joined_at",
    ];
    writer.write_record(header).map_err(Error::internal)?;
    // A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    let cell = |text: &str| -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        }
    };
    for p in found {
        let who = p
            .profile
            .as_ref()
            .map_or("anonymous".to_string(), |u| format!("@{u}"));
        let place = p
            .waitlist_position
            .map(|n| n.to_string())
            .unwrap_or_default();
        writer
            .write_record([
                who.as_str(),
                p.state.as_str(),
                &place,
                &cell(p.message.as_deref().unwrap_or("")),
                &p.joined_at,
            ])
            .map_err(Error::internal)?;
    }
    writer.into_inner().map_err(Error::internal)
}

/// Runs an organiser's decision on participation `pid` of event `id`, then returns it.
async fn decide(
    state: &AppState,
    acting: &Acting,
    id: &str,
    pid: &str,
    command: EventCommand,
) -> Result<ParticipationView> {
    consistency::command(state, &state.events, id, command, &acting.metadata(), READS).await?;
    find(state, id, pid).await
}

/// Approves a participation request; with no seat free it goes to the waitlist.
pub async fn approve(
    state: &AppState,
    acting: &Acting,
    id: &str,
    pid: &str,
) -> Result<ParticipationView> {
    let command = EventCommand::Approve {
        by: crate::events::acting_for(state, acting, id).await?,
        participation: pid.to_string(),
    };
    decide(state, acting, id, pid, command).await
}

/// Rejects a participation; a freed seat goes to the first on the waitlist.
pub async fn reject(
    state: &AppState,
    acting: &Acting,
    id: &str,
    pid: &str,
) -> Result<ParticipationView> {
    let command = EventCommand::Reject {
        by: crate::events::acting_for(state, acting, id).await?,
        participation: pid.to_string(),
    };
    decide(state, acting, id, pid, command).await
}

/// Changes a participant's role (creator and administrators).
pub async fn change_role(
    state: &AppState,
    acting: &Acting,
    id: &str,
    pid: &str,
    role: ParticipantState,
) -> Result<ParticipationView> {
    let command = EventCommand::ChangeRole {
        by: acting.profile.clone(),
        participation: pid.to_string(),
        role,
    };
    decide(state, acting, id, pid, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymousJoin {
    pub email: String,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnonymousState {
    pub state: String,
    pub detail: String,
    /// The event's id, to lead back to it.
    #[serde(default)]
    pub event: String,
}

fn mail_sent(event: &str) -> AnonymousState {
    AnonymousState {
        state: ParticipantState::NotConfirmed.as_str().into(),
        detail: "check your mailbox and follow the link to confirm".into(),
        event: event.into(),
    }
}

/// The name of the instance's key deriving cancellation tokens.
pub const CANCEL_KEY: &str = "anonymous_cancel";

/// The token of the link cancelling anonymous participation `participation`, derived from the
/// instance's key ([`CANCEL_KEY`]): every later mail to the participant can then carry the same
/// link, while the log and the read models keep only its hash, as for any token.
pub fn cancel_token(key: &[u8], participation: &str) -> String {
    let tag = crate::keys::sign(key, &format!("cancel participation {participation}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
}

/// The address of the page cancelling anonymous participation `participation`, when it can
/// still be cancelled that way: a participation whose token was not derived (one made before
/// tokens were), or that is no longer waiting, taking part or on the waitlist, has none.
pub async fn cancel_link(
    pool: &convene_projections::AnyPool,
    public_url: &str,
    participation: &str,
) -> std::result::Result<Option<String>, convene_projections::Error> {
    let key = crate::keys::named(pool, CANCEL_KEY).await?;
    let token = cancel_token(&key, participation);
    let found = events::participation_by_token(pool, TokenKind::Cancel, &token_hash(&token))
        .await?
        .filter(|p| {
            p.id == participation
                && matches!(
                    p.state,
                    ParticipantState::Participant
                        | ParticipantState::Waitlisted
                        | ParticipantState::NotApproved
                        | ParticipantState::NotConfirmed
                )
        });
    Ok(found.map(|_| {
        format!(
            "{}/participations/cancel?token={token}",
            public_url.trim_end_matches('/')
        )
    }))
}

/// Records an anonymous participation and mails its confirmation and cancellation links.
pub async fn join_anonymously(
    state: &AppState,
    origin: &Origin,
    id: &str,
    request: AnonymousJoin,
) -> Result<AnonymousState> {
    attempt(
        state,
        Action::AnonymousParticipation,
        origin,
        &request.email,
    )?;
    // Only events anyone may see can be joined without an account (private ones: not found).
    access::visible(state, Viewer::default(), id).await?;
    let participation = uuid::Uuid::new_v4().to_string();
    let key = crate::keys::named(state.db.pool(), CANCEL_KEY).await?;
    let (confirm, cancel) = (new_token(), cancel_token(&key, &participation));
    let email = request.email.trim().to_lowercase();
    let command = EventCommand::JoinAnonymously {
        participation,
        email: email.clone(),
        message: request.message,
        confirm_token: token_hash(&confirm),
        cancel_token: token_hash(&cancel),
    };
    match consistency::command(
        state,
        &state.events,
        id,
        command,
        &origin.anonymous(),
        READS,
    )
    .await
    {
        Ok(_) => {}
        // Answer as if it worked: otherwise anyone could test whether an address takes part.
        Err(Error::Event(EventError::AlreadyParticipating(_))) => return Ok(mail_sent(id)),
        Err(error) => return Err(error),
    }
    let (title, language) = events::find(state.db.pool(), id)
        .await?
        .map(|e| (e.details.title, e.details.language))
        .unwrap_or_default();
    // The links open pages with a button that confirms or cancels: a GET changes nothing.
    let base = format!("{}/participations", state.config.public_url);
    let (confirm, cancel) = (
        format!("{base}/confirm?token={confirm}"),
        format!("{base}/cancel?token={cancel}"),
    );
    let values = [
        ("title", title.as_str()),
        ("link", &confirm),
        ("cancel", &cancel),
    ];
    account_mail::send(
        state,
        AccountMail::Participation,
        &language,
        &email,
        &values,
    )
    .await;
    Ok(mail_sent(id))
}

/// Confirms the anonymous participation whose mailed token is `token`.
pub async fn confirm_anonymous(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AnonymousState> {
    let hash = token_hash(token.trim());
    let found = events::participation_by_token(state.db.pool(), TokenKind::Confirm, &hash)
        .await?
        .ok_or_else(|| Error::not_found("this link is not valid (any more)"))?;
    let command = EventCommand::ConfirmAnonymous {
        confirm_token: hash,
    };
    let event = &found.event_id;
    consistency::command(
        state,
        &state.events,
        event,
        command,
        &origin.anonymous(),
        READS,
    )
    .await?;
    let now = find(state, event, &found.id).await?;
    let detail = match now.state {
        ParticipantState::Participant => "you take part: see you there",
        ParticipantState::Waitlisted => {
            "the event is full: you are on the waitlist and will get a seat when one frees"
        }
        ParticipantState::NotApproved => "confirmed: the organisers will now approve or decline",
        _ => "confirmed",
    };
    Ok(AnonymousState {
        state: now.state.as_str().into(),
        detail: detail.into(),
        event: event.clone(),
    })
}

/// Cancels the anonymous participation whose mailed cancellation token is `token`.
pub async fn cancel_anonymous(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AnonymousState> {
    let hash = token_hash(token.trim());
    let found = events::participation_by_token(state.db.pool(), TokenKind::Cancel, &hash)
        .await?
        .ok_or_else(|| {
            Error::not_found(
                "this link is not valid (any more): the participation may already be cancelled",
            )
        })?;
    let command = EventCommand::LeaveAnonymously { cancel_token: hash };
    let event = &found.event_id;
    consistency::command(
        state,
        &state.events,
        event,
        command,
        &origin.anonymous(),
        READS,
    )
    .await?;
    Ok(AnonymousState {
        state: "cancelled".into(),
        detail: "your participation is cancelled".into(),
        event: event.clone(),
    })
}
