//! Who acts: session tokens (random, stored only as SHA-256), the decoy password hash, where a
//! request comes from, and the acting-profile rule (an account acts as one of its own profiles,
//! never revealing which others it owns).

use crate::error::Error;
use crate::AppState;
use base64::Engine;
use convene_domain::event::ParticipantState;
use convene_domain::{Actor, Metadata, Role, Source};
use convene_projections::accounts::{self, AccountRow};
use convene_projections::profiles;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// A new secret token: 32 random bytes, URL-safe base64.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A real hash to check against when an address is unknown, so a failed login takes as long
/// whether or not the account exists.
pub async fn decoy_hash(state: &AppState) -> Result<String, Error> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| state.hasher.hash(new_token()))
        .await
        .cloned()
}

/// Where a request came from (the API, the pages, federation…), its id and the client's
/// address: what every change it makes records beside who made it, and what rate limits count.
#[derive(Debug, Clone)]
pub struct Origin {
    pub source: Source,
    pub request_id: String,
    /// The client's address, when the front end knows it.
    pub ip: Option<IpAddr>,
}

impl Origin {
    pub fn new(source: Source, request_id: impl Into<String>, ip: Option<IpAddr>) -> Self {
        Self {
            source,
            request_id: request_id.into(),
            ip,
        }
    }

    /// Metadata of a change made by an account itself (not as one of its profiles).
    pub fn account(&self, account: &str) -> Metadata {
        self.by(Actor::Account {
            account: account.to_string(),
            profile: None,
        })
    }

    /// Metadata of a change made by someone without an account.
    pub fn anonymous(&self) -> Metadata {
        self.by(Actor::Anonymous)
    }

    pub fn by(&self, actor: Actor) -> Metadata {
        Metadata::now(actor, self.source.clone(), &self.request_id)
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: AccountRow,
    pub token_hash: String,
    pub origin: Origin,
}

impl Session {
    /// Refuses anyone but an administrator, saying `why` only they may.
    pub fn require_administrator(&self, why: &str) -> Result<(), Error> {
        if self.account.role == Role::Administrator {
            Ok(())
        } else {
            Err(Error::forbidden(why))
        }
    }

    /// The session behind `token`, if it is open and its account enabled.
    pub async fn open(
        state: &AppState,
        token: &str,
        origin: Origin,
    ) -> Result<Option<Session>, Error> {
        let token_hash = token_hash(token.trim());
        let account = accounts::by_session(state.db.pool(), &token_hash)
            .await?
            .filter(|a| !a.disabled && !a.suspended);
        Ok(account.map(|account| Session {
            account,
            token_hash,
            origin,
        }))
    }

    /// Metadata of a change made by this account itself (not as one of its profiles).
    pub fn metadata(&self) -> Metadata {
        self.origin.account(&self.account.id)
    }

    /// This account acting as `profile` (its default profile when none is named), if the
    /// profile is one of its own.
    pub async fn acting_as(
        self,
        state: &AppState,
        profile: Option<String>,
    ) -> Result<Acting, Error> {
        let profile = profile
            .map(|p| p.trim().trim_start_matches('@').to_string())
            .filter(|p| !p.is_empty());
        let profile = match profile {
            Some(profile) => {
                // Someone else's profile and no profile at all look the same: no hint of who
                // owns what.
                let owner = profiles::owner(state.db.pool(), &profile).await?;
                if owner.as_deref() != Some(self.account.id.as_str()) {
                    return Err(Error::forbidden(format!(
                        "@{profile} is not one of your profiles"
                    )));
                }
                profile
            }
            None => self.account.default_profile.clone().ok_or_else(|| {
                Error::invalid_field(
                    "profile",
                    "create a profile first (POST /api/v1/profiles): every public action is made as a profile",
                )
            })?,
        };
        // A profile the moderators suspended does not act in public.
        if profiles::find(state.db.pool(), &profile)
            .await?
            .is_some_and(|p| p.suspended)
        {
            return Err(Error::forbidden(format!(
                "@{profile} is suspended by the instance's moderators"
            )));
        }
        Ok(Acting {
            session: self,
            profile,
        })
    }

    /// This account acting on event `id`: as the profile `named`, or else as the first of its
    /// profiles whose participation there is `wanted` (an organiser, for organisers' actions),
    /// or else its default profile — an account whose second identity organises an event acts
    /// there as that identity.
    pub async fn acting_on_event(
        self,
        state: &AppState,
        id: &str,
        named: Option<String>,
        wanted: fn(ParticipantState) -> bool,
    ) -> Result<Acting, Error> {
        let named = named.filter(|p| !p.trim().is_empty());
        let chosen = match named {
            Some(profile) => Some(profile),
            None => crate::participations::own(state, &self, id)
                .await?
                .into_iter()
                .filter(|p| wanted(p.state))
                .find_map(|p| p.profile),
        };
        self.acting_as(state, chosen).await
    }
}

/// A logged-in account acting as one of its profiles.
#[derive(Debug, Clone)]
pub struct Acting {
    pub session: Session,
    pub profile: String,
}

impl Acting {
    pub fn metadata(&self) -> Metadata {
        self.session.origin.by(Actor::Account {
            account: self.session.account.id.clone(),
            profile: Some(self.profile.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
