//! The mail a group's decisions send to the person concerned, one message each, in the language
//! of the account that owns the profile (English or French). A mail that cannot be sent is
//! logged; the decision stands.

use crate::error::Result;
use crate::AppState;
use convene_projections::groups::GroupView;
use convene_projections::{accounts, profiles};

/// What happened, to tell the person concerned.
pub enum Notice<'a> {
    /// `by` invited the profile.
    Invited {
        by: &'a str,
    },
    Approved,
    Rejected {
        reason: Option<&'a str>,
    },
}

/// The subject and text of `notice` to `@profile` about `group`, in `locale`.
fn message(locale: &str, notice: &Notice, profile: &str, group: &GroupView) -> (String, String) {
    let (name, handle) = (&group.details.display_name, &group.handle);
    let french = locale == "fr";
    match notice {
        Notice::Invited { by } if french => (
            format!("Invitation à rejoindre {name}"),
            format!(
                "@{by} invite votre profil @{profile} à rejoindre le groupe {name} (@{handle}).\n\n\
                 Acceptez ou déclinez l’invitation dans Convene.\n"
            ),
        ),
        Notice::Invited { by } => (
            format!("Invitation to join {name}"),
            format!(
                "@{by} invites your profile @{profile} to join the group {name} (@{handle}).\n\n\
                 Accept or decline the invitation in Convene.\n"
            ),
        ),
        Notice::Approved if french => (
            format!("Bienvenue dans {name}"),
            format!(
                "Votre demande pour rejoindre le groupe {name} (@{handle}) a été acceptée : \
                 @{profile} en est maintenant membre.\n"
            ),
        ),
        Notice::Approved => (
            format!("Welcome to {name}"),
            format!(
                "Your request to join the group {name} (@{handle}) was approved: @{profile} is \
                 now a member.\n"
            ),
        ),
        Notice::Rejected { reason } if french => {
            (
                format!("Votre demande pour rejoindre {name}"),
                format!(
                "Votre demande pour rejoindre le groupe {name} (@{handle}) en tant que @{profile} \
                 n’a pas été acceptée.{}\n",
                reason.map(|r| format!("\n\nMotif : {r}")).unwrap_or_default()
            ),
            )
        }
        Notice::Rejected { reason } => (
            format!("Your request to join {name}"),
            format!(
                "Your request to join the group {name} (@{handle}) as @{profile} was not \
                 accepted.{}\n",
                reason
                    .map(|r| format!("\n\nReason: {r}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// Mails `notice` to the account owning `@profile` (profiles run by the instance get none).
pub async fn notify(
    state: &AppState,
    profile: &str,
    group: &GroupView,
    notice: Notice<'_>,
) -> Result<()> {
    let Some(owner) = profiles::owner(state.db.pool(), profile).await? else {
        return Ok(());
    };
    let Some(account) = accounts::by_id(state.db.pool(), &owner).await? else {
        return Ok(());
    };
    let (subject, text) = message(&account.locale, &notice, profile, group);
    if let Err(error) = state
        .config
        .mailer
        .send(&account.email, &subject, text)
        .await
    {
        tracing::error!(%error, "a group's mail was not sent");
    }
    Ok(())
}
