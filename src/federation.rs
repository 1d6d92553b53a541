//! `convene federation follow|unfollow|deliveries|retry|domain|domains|follow-instance|
//! unfollow-instance|instances`: follows of remote actors, the delivery queue, decisions on
//! other instances' domains and instance follows, from the command line. The running server
//! sends what these record.

use crate::config::{FederationCommand, Settings};
use anyhow::{anyhow, bail, Context};
use convene_api::instance_follows;
use convene_api::moderation::{self, Action, DecisionTarget, NewDecision};
use convene_domain::moderation::{ContentCounts, Decision};
use convene_domain::remote_domain::{normalise_domain, DomainAction};
use convene_domain::{
    Actor, InstanceFollow, InstanceFollowCommand, Metadata, Profile, ProfileCommand, ProfileError,
    RemoteDomain, RemoteDomainCommand, RemoteDomainError, Source,
};
use convene_federation::admin;
use convene_federation::client::{Client, FetchSigner, Limits, Network};
use convene_federation::delivery::{self, State};
use convene_federation::discovery::lookup;
use convene_federation::inbox::remote_actors::RemoteActors;
use convene_projections::domains;
use convene_projections::{CommandError, Commands, Database};
use std::process::ExitCode;

pub async fn run(settings: &Settings, command: FederationCommand) -> anyhow::Result<ExitCode> {
    match command {
        FederationCommand::Follow {
            profile,
            actor,
            test_network,
        } => {
            let db = open(settings).await?;
            let client = client(settings, &db, test_network)?;
            let id = lookup::actor_id(&client, &actor).await?;
            let remote = RemoteActors::new(&db, client)
                .get(&id)
                .await
                .with_context(|| format!("cannot follow {actor}"))?;
            let follow = ProfileCommand::Follow {
                target: remote.id.to_string(),
                inbox: remote.inbox.to_string(),
                shared_inbox: remote.shared_inbox.map(|u| u.to_string()),
            };
            let position = execute(&db, &profile, follow).await?;
            println!("@{profile} asked to follow {id} (log position {position}); the server sends the Follow");
        }
        FederationCommand::Unfollow {
            profile,
            actor,
            test_network,
        } => {
            let db = open(settings).await?;
            let id = lookup::actor_id(&client(settings, &db, test_network)?, &actor).await?;
            let unfollow = ProfileCommand::Unfollow { target: id.clone() };
            let position = execute(&db, &profile, unfollow).await?;
            println!("@{profile} no longer follows {id} (log position {position}); the server sends the Undo");
        }
        FederationCommand::Deliveries { state } => {
            let state = state
                .map(|s| {
                    State::parse(&s).ok_or_else(|| {
                        anyhow!("--state {s}: choose pending, delivered, failed or dead")
                    })
                })
                .transpose()?;
            let db = open(settings).await?;
            let which = state.map_or(delivery::Which::Undelivered, delivery::Which::In);
            let shown = delivery::all(db.pool(), which).await?;
            for d in &shown {
                let last = match (&d.last_status, &d.last_error) {
                    (_, Some(error)) => error.clone(),
                    (Some(status), None) => format!("answered {status}"),
                    (None, None) => "not tried yet".into(),
                };
                println!(
                    "{}  {:<9}  tries {:>2}  {}  {}  ({last})",
                    d.id,
                    d.state.as_str(),
                    d.attempts,
                    d.inbox,
                    d.activity_id
                );
            }
            println!("{} deliveries", shown.len());
        }
        FederationCommand::Retry { id } => {
            let db = open(settings).await?;
            if !delivery::retry(db.pool(), &id, delivery::now_ms()).await? {
                bail!("there is no failed or dead delivery {id}: `convene federation deliveries` lists them");
            }
            println!("delivery {id} is pending again; the server tries it at once");
        }
        FederationCommand::Domain {
            action,
            domain,
            reason,
            public_comment,
        } => {
            let own = domains::host_of_url(&settings.public_url).unwrap_or_default();
            if convene_domain::remote_domain::covers(&normalise(&domain)?, &own) {
                bail!(
                    "{domain} is this instance's own domain (--public-url {})",
                    settings.public_url
                );
            }
            let db = open(settings).await?;
            if let Some(bulk) = content_action(&action) {
                return take_down(settings, &db, bulk, domain, reason, public_comment).await;
            }
            let position = decide_on_domain(&db, &action, &domain, &reason, public_comment).await?;
            println!("{domain}: {action} recorded (log position {position}); the running server applies it at once");
        }
        FederationCommand::Domains => {
            let db = open(settings).await?;
            let in_force = domains::in_force(db.pool()).await?;
            for decision in &in_force {
                let impact = domains::impact(db.pool(), &decision.domain).await?;
                println!(
                    "{}  {:<8} since {}  ({} events, {} comments, {} participants, {} followers, {} followed)  reason: {}",
                    decision.domain,
                    decision.action,
                    decision.decided_at,
                    impact.events,
                    impact.comments,
                    impact.participants,
                    impact.followers,
                    impact.following,
                    decision.reason
                );
            }
            println!("{} domains with a decision in force", in_force.len());
        }
        FederationCommand::FollowInstance {
            instance,
            test_network,
        } => {
            let db = open(settings).await?;
            let client = client(settings, &db, test_network)?;
            let actors = RemoteActors::new(&db, client.clone());
            let (actor, inbox) =
                admin::resolve(&client, &actors, db.pool(), &settings.public_url, &instance)
                    .await
                    .map_err(|reason| anyhow!("cannot follow {instance}: {reason}"))?;
            let follow = InstanceFollowCommand::Follow { inbox };
            let position = on_instance(&db, &actor, follow).await?;
            println!("this instance asked to follow {actor} (log position {position}); the server sends the Follow");
        }
        FederationCommand::UnfollowInstance { instance } => {
            let db = open(settings).await?;
            let Some(actor) = instance_follows::followed(&db, &instance).await? else {
                bail!("this instance does not follow {instance}: `convene federation instances` lists those it follows");
            };
            let position = on_instance(&db, &actor, InstanceFollowCommand::Unfollow).await?;
            println!("this instance no longer follows {actor} (log position {position}); the server sends the Undo");
        }
        FederationCommand::Instances => {
            let db = open(settings).await?;
            let listed = convene_projections::instance_follows::all(db.pool()).await?;
            for i in &listed {
                println!(
                    "{}  following: {:<8}  follows us: {:<3}  {}",
                    i.host,
                    i.following.as_deref().unwrap_or("no"),
                    if i.follower { "yes" } else { "no" },
                    i.actor
                );
            }
            println!("{} instances", listed.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Records a decision on a domain from the command line: by the instance (`system`, source
/// `cli`), the operator at the server's shell standing for its administrators.
async fn decide_on_domain(
    db: &Database,
    action: &str,
    domain: &str,
    reason: &str,
    public_comment: Option<String>,
) -> anyhow::Result<i64> {
    let domain =
        normalise_domain(domain, "DOMAIN").map_err(|e| anyhow!("{}: {}", e.field, e.message))?;
    let action =
        DomainAction::parse(action).ok_or_else(|| anyhow!("no such decision: {action}"))?;
    let decision = Decision::by_moderator(
        String::new(),
        reason,
        None,
        None,
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| anyhow!("--{}: {}", e.field, e.message))?;
    let decision = Decision {
        moderator: None,
        ..decision
    };
    let metadata = Metadata::now(Actor::System, Source::Cli, uuid::Uuid::new_v4().to_string())
        .with_reason(decision.reason.clone());
    let command = RemoteDomainCommand::Moderate {
        action,
        decision,
        public_comment,
    };
    match Commands::<RemoteDomain>::new(db, ())
        .execute_retrying(&domain, command, &metadata)
        .await
    {
        Err(CommandError::Rejected(RemoteDomainError::AlreadyDecided(why))) => {
            bail!("{domain}: {why}")
        }
        Err(CommandError::Rejected(RemoteDomainError::Invalid(errors))) => {
            let error = &errors[0];
            bail!("--{}: {}", error.field.replace('_', "-"), error.message)
        }
        other => Ok(other?),
    }
}

/// The API's action for a decision on everything a domain sent, if `action` is one.
fn content_action(action: &str) -> Option<Action> {
    match action {
        "remove_content" => Some(Action::RemoveContent),
        "restore_content" => Some(Action::RestoreContent),
        _ => None,
    }
}

/// Removes or restores everything `domain` sent, one event or comment at a time (the same use
/// case as an administrator's decision, recorded by the instance from the command line).
async fn take_down(
    settings: &Settings,
    db: &Database,
    action: Action,
    domain: String,
    reason: String,
    public_comment: Option<String>,
) -> anyhow::Result<ExitCode> {
    let doing = match action {
        Action::RemoveContent => "removing",
        _ => "restoring",
    };
    println!("{domain}: {doing} every event and comment it sent here, 100 at a time…");
    let new = NewDecision {
        action,
        target: DecisionTarget::Domain {
            domain: domain.clone(),
        },
        reason,
        report: None,
        until: None,
        public_comment,
    };
    let done = match action {
        Action::RemoveContent => "removed",
        _ => "restored",
    };
    let said = |counts: &ContentCounts| {
        format!(
            "{domain}: {} events and {} comments {done}, {} events and {} comments left as they \
             were",
            counts.events, counts.comments, counts.skipped_events, counts.skipped_comments,
        )
    };
    let progress = |counts: &ContentCounts| println!("{} so far", said(counts));
    let metadata = Metadata::now(Actor::System, Source::Cli, uuid::Uuid::new_v4().to_string());
    let made = crate::use_case::run(settings, db, |state| async move {
        moderation::decide_on_content_by_instance(&state, new, &metadata, &progress).await
    })
    .await?
    .map_err(|error| anyhow!("{}", cli_error(&error)))?;
    let counts = made.content.unwrap_or_default();
    println!("{} (log position {})", said(&counts), made.position);
    Ok(ExitCode::SUCCESS)
}

fn normalise(domain: &str) -> anyhow::Result<String> {
    normalise_domain(domain, "DOMAIN").map_err(|e| anyhow!("{domain}: {}", e.message))
}

async fn open(settings: &Settings) -> anyhow::Result<Database> {
    Ok(Database::open_within(&settings.database_url, settings.database_timeout).await?)
}

/// The client the commands fetch with, signing its fetches as the instance actor (whose key
/// `db` holds), as the server does.
fn client(settings: &Settings, db: &Database, test_network: bool) -> anyhow::Result<Client> {
    let public_url = url::Url::parse(&settings.public_url)?;
    let network = if test_network {
        Network::TestLoopback
    } else {
        Network::Public
    };
    let client = Client::new(&public_url, network, Limits::default())
        .map_err(|e| anyhow!("--test-network: {e}"))?;
    Ok(client.signing_fetches(FetchSigner::instance(db, &settings.public_url)))
}

/// Runs an instance follow command on the remote instance actor `actor`, recorded as done from
/// the command line.
async fn on_instance(
    db: &Database,
    actor: &str,
    command: InstanceFollowCommand,
) -> anyhow::Result<i64> {
    let metadata = Metadata::now(Actor::System, Source::Cli, uuid::Uuid::new_v4().to_string());
    match Commands::<InstanceFollow>::new(db, ())
        .execute_retrying(actor, command, &metadata)
        .await
    {
        Err(CommandError::Rejected(error)) => bail!("{actor}: {error}"),
        other => Ok(other?),
    }
}

/// Runs a follow command on `@profile`, recorded as done from the command line.
async fn execute(db: &Database, profile: &str, command: ProfileCommand) -> anyhow::Result<i64> {
    let metadata = Metadata::now(Actor::System, Source::Cli, uuid::Uuid::new_v4().to_string());
    match Commands::<Profile>::new(db, ())
        .execute_retrying(profile, command, &metadata)
        .await
    {
        Err(CommandError::Rejected(ProfileError::NotFound)) => {
            bail!("there is no profile @{profile}: give the username of a local profile with --as")
        }
        other => Ok(other?),
    }
}

/// A refusal as the command line says it: the API's field names become its own.
fn cli_error(error: &convene_api::error::Error) -> String {
    let errors = error.field_errors();
    if errors.is_empty() {
        return error.to_string();
    }
    let said: Vec<String> = errors
        .iter()
        .map(|e| {
            let name = match e.field.as_str() {
                "target.domain" => "DOMAIN".to_string(),
                other => format!("--{}", other.replace('_', "-")),
            };
            format!("{name}: {}", e.message)
        })
        .collect();
    said.join("; ")
}
