//! Profiles: create one for an account, edit one's own, and the public view of any.

use crate::auth::{Origin, Session};
use crate::consistency::caught_up;
use crate::error::{Error, Result};
use crate::validation::validate;
use crate::AppState;
use convene_domain::claim::{handle_claim, handle_owner, ClaimCommand, ClaimError, HandleKind};
use convene_domain::profile::normalise_display_name;
use convene_domain::{AccountCommand, Actor, ProfileCommand, ProfileError};
use convene_projections::profiles::{self, ProfileView};
use convene_projections::read_model::{ACCOUNTS, PROFILES};
use convene_projections::CommandError;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    /// 1 to 30 characters among a-z, 0-9 and _.
    #[validate(custom(function = "crate::validation::username"))]
    pub username: String,
    /// Checked here too, so that a profile is not made before its summary is refused.
    #[validate(custom(function = "crate::validation::display_name"))]
    pub display_name: Option<String>,
    #[validate(custom(function = "crate::validation::summary"))]
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub summary: Option<String>,
}

/// Profile `username`'s public view (a profile the moderators suspended is a tombstone; one
/// whose account awaits approval is not there yet).
pub async fn find(state: &AppState, username: &str) -> Result<ProfileView> {
    let profile = profiles::find_public(state.db.pool(), username)
        .await?
        .ok_or_else(|| Error::not_found(format!("there is no profile @{username}")))?;
    if profile.suspended {
        return Err(Error::Profile(convene_domain::ProfileError::Suspended));
    }
    Ok(profile)
}

/// The profiles of `session`'s account (only the account itself ever sees them together).
/// The display names of public profiles `usernames`, to show beside their handles.
pub async fn display_names(
    state: &AppState,
    usernames: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    Ok(profiles::display_names(state.db.pool(), usernames).await?)
}

pub async fn own(state: &AppState, session: &Session) -> Result<Vec<ProfileView>> {
    Ok(profiles::owned_by(state.db.pool(), &session.account.id).await?)
}

/// Creates a profile owned by `account` (its first becomes the default).
pub async fn create_profile(
    state: &AppState,
    account: &str,
    origin: &Origin,
    new: NewProfile,
) -> Result<ProfileView> {
    validate(&new)?;
    let username = new.username.trim().to_string();
    let metadata = origin.by(Actor::Account {
        account: account.to_string(),
        profile: Some(username.clone()),
    });
    let display_name = new
        .display_name
        .map(|name| normalise_display_name(&name))
        .transpose()?;
    // Profiles and groups share one namespace of handles: claim it first.
    let claim = ClaimCommand::Take {
        owner: handle_owner(HandleKind::Profile, &username),
    };
    match state
        .claims
        .execute_retrying(&handle_claim(&username), claim, &metadata)
        .await
    {
        Err(CommandError::Rejected(ClaimError::Taken)) => {
            return Err(ProfileError::UsernameTaken(username).into())
        }
        other => other.map(drop)?,
    }
    let create = ProfileCommand::Create {
        username: username.clone(),
        display_name,
        account: Some(account.to_string()),
    };
    state.profiles.execute(&username, create, &metadata).await?;
    let add = AccountCommand::AddProfile {
        username: username.clone(),
    };
    let mut position = state.accounts.execute(account, add, &metadata).await?;
    if new.summary.is_some() {
        let update = ProfileCommand::Update {
            display_name: None,
            summary: new.summary,
        };
        position = state
            .profiles
            .execute(&username, update, &metadata)
            .await?
            .max(position);
    }
    caught_up(state, &[PROFILES, ACCOUNTS], position).await;
    find(state, &username).await
}

/// Changes the display name or summary of `username`, one of `session`'s own profiles.
pub async fn update_profile(
    state: &AppState,
    session: &Session,
    username: &str,
    changes: ProfileChanges,
) -> Result<ProfileView> {
    let owner = profiles::owner(state.db.pool(), username).await?;
    if owner.as_deref() != Some(session.account.id.as_str()) {
        return Err(Error::forbidden(format!(
            "@{username} is not one of your profiles"
        )));
    }
    let command = ProfileCommand::Update {
        display_name: changes.display_name,
        summary: changes.summary,
    };
    let metadata = session.origin.by(Actor::Account {
        account: session.account.id.clone(),
        profile: Some(username.to_string()),
    });
    let position = state
        .profiles
        .execute(username, command, &metadata)
        .await
        .map_err(|e| match e {
            CommandError::Rejected(ProfileError::NotFound) => {
                Error::not_found(format!("there is no profile @{username}"))
            }
            other => other.into(),
        })?;
    caught_up(state, &[PROFILES], position).await;
    find(state, username).await
}
