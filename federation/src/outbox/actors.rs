//! `Update`s of this instance's actors: a profile whose name, summary or avatar changed, or
//! that moderators suspended or reinstated (itself or its whole account), sends its `Person` to every instance that knows it (its followers, and the instances of the events
//! it takes part in or organises with remote participants); a group whose settings changed, or
//! that moderators suspended or reinstated, sends its `Group` to its remote followers and members. Peers (Mastodon, Mobilizon) replace
//! their copy of the actor with the document sent, key included, so it is the whole document
//! as `/@name` serves it, built by the same builders from the actor as the log had it then.

use super::derive::Outgoing;
use super::groups::GroupLogs;
use crate::actors::local::{group_id, person_id, GroupFields, PersonFields};
use crate::http::groups::openness_name;
use crate::keys::{key_id, KeyOwner};
use crate::objects::{activity_id, Activity, ActivityKind};
use convene_domain::group::{GroupActor, GroupVisibility};
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::{AccountAction, ProfileAction};
use convene_domain::picture::{GroupPicture, ShownPicture};
use convene_domain::{Account, AccountChange, Group, GroupChange, ProfileChange};
use convene_projections::{Error, StoredEvent};
use cqrs_es::Aggregate;
use std::collections::{BTreeSet, HashMap};

/// What derivation needs beyond the logs of events, profiles and groups, read by the outbox
/// before deriving.
#[derive(Debug, Default)]
pub struct Extras {
    /// The changes between this instance and others (instance follows).
    pub relays: super::relays::Relays,
    /// The public key (SPKI PEM) of each local actor whose document changed, by
    /// [`KeyOwner::storage_key`].
    pub keys: HashMap<String, String>,
    /// The delivery inboxes of the instances that know each profile through events: those of the
    /// remote events it takes part in, and of the remote participants of the events it
    /// organises.
    pub through_events: HashMap<String, Vec<String>>,
    /// The changes of each account suspended or reinstated in the batch, up to its end: its
    /// profiles' `Person`s change with it.
    pub accounts: super::LogOf,
}

/// Whether `change` suspends or reinstates an account, and so every profile's `Person` of it.
pub fn changes_persons(change: &AccountChange) -> bool {
    matches!(
        change,
        AccountChange::Moderated {
            action: AccountAction::Suspend | AccountAction::Unsuspend,
            ..
        }
    )
}

/// The `Update`s of the `Person`s of account `log`'s profiles after its change `stored`, which
/// suspended or reinstated it: each profile as its own changes `profiles` had it then.
pub fn account_updates(
    public_url: &str,
    log: &[StoredEvent],
    stored: &StoredEvent,
    profiles: &super::LogOf,
    extras: &Extras,
) -> Result<Vec<Outgoing>, Error> {
    let mut account = Account::default();
    for change in log.iter().take_while(|c| c.position <= stored.position) {
        account.apply(change.change()?);
    }
    let at = stored.metadata()?.recorded_at;
    let mut out = Vec::new();
    for username in account.profiles() {
        let Some(log) = profiles.get(username) else {
            continue;
        };
        // A profile's changes are in log order: those up to the account's change lead it.
        let upto = &log[..log.partition_point(|c| c.position <= stored.position)];
        let followers = super::derive::followers_at(profiles, username, stored.position);
        // One id per profile and decision: the position is the account's change's.
        let cause = (format!("{username}/account"), stored.position as u64, at);
        let suspended = account.suspended();
        out.extend(person_update(
            public_url, username, upto, cause, suspended, followers, extras,
        )?);
    }
    Ok(out)
}

/// Whether `change` alters what a profile's `Person` shows (a suspension strips it).
pub fn changes_person(change: &ProfileChange) -> bool {
    matches!(
        change,
        ProfileChange::Renamed { .. }
            | ProfileChange::SummaryChanged { .. }
            | ProfileChange::AvatarSet { .. }
            | ProfileChange::AvatarRemoved
            | ProfileChange::Moderated {
                action: ProfileAction::Suspend | ProfileAction::Unsuspend,
                ..
            }
    )
}

/// The `Update` of profile `username`'s `Person` as its changes `log` leave it (suspended
/// when `account_suspended` too), to `followers` and the instances that know it through
/// events; `cause` names the activity (the name and sequence in its id) and its time.
pub fn person_update(
    public_url: &str,
    username: &str,
    log: &[StoredEvent],
    cause: (String, u64, time::OffsetDateTime),
    account_suspended: bool,
    followers: Vec<String>,
    extras: &Extras,
) -> Result<Option<Outgoing>, Error> {
    let Some(pem) = extras
        .keys
        .get(&KeyOwner::Profile(username.to_string()).storage_key())
    else {
        return Ok(None);
    };
    let (mut display_name, mut summary, mut published) = (String::new(), String::new(), None);
    let (mut avatar, mut suspended) = (None, false);
    for change in log {
        published.get_or_insert(change.metadata()?.recorded_at);
        match change.change::<ProfileChange>()? {
            ProfileChange::Created {
                display_name: name, ..
            }
            | ProfileChange::Renamed { display_name: name } => display_name = name,
            ProfileChange::SummaryChanged { summary: text } => summary = text,
            ProfileChange::AvatarSet { picture } => avatar = Some(picture),
            ProfileChange::AvatarRemoved => avatar = None,
            ProfileChange::Moderated { action, .. } => match action {
                ProfileAction::Suspend => suspended = true,
                ProfileAction::Unsuspend => suspended = false,
                ProfileAction::Limit | ProfileAction::Unlimit => {}
            },
            _ => {}
        }
    }
    let published = format_timestamp(published.unwrap_or(cause.2));
    let fields = PersonFields {
        username,
        display_name: &display_name,
        summary: &summary,
        published: &published,
        avatar: avatar.as_ref(),
    };
    let mut person = crate::actors::person(public_url, &fields, pem.clone());
    if suspended || account_suspended {
        person = person.suspended();
    }
    let actor = person_id(public_url, username);
    let mut inboxes: BTreeSet<String> = followers.into_iter().collect();
    inboxes.extend(
        extras
            .through_events
            .get(username)
            .into_iter()
            .flatten()
            .cloned(),
    );
    Ok(Some(update(public_url, cause, &actor, &person, inboxes)))
}

/// The `Update` of group `handle`'s `Group` after `stored`, `group` being the group as it stands
/// then with its avatar and banner, to its remote followers and members.
pub fn group_update(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (group, pictures): (&Group, &GroupPictures),
    created: time::OffsetDateTime,
    groups: &GroupLogs,
    extras: &Extras,
) -> Option<Outgoing> {
    let pem = extras
        .keys
        .get(&KeyOwner::Group(handle.to_string()).storage_key())?;
    let details = group.details()?;
    let published = format_timestamp(created);
    let fields = GroupFields {
        handle,
        display_name: &details.display_name,
        summary: &details.summary,
        openness: openness_name(details.openness),
        manually_approves_followers: details.manually_approves_followers,
        discoverable: details.visibility == GroupVisibility::Public,
        member_count: group.members().values().filter(|r| r.is_member()).count() as i64,
        published: &published,
        avatar: pictures.avatar.as_ref(),
        banner: pictures.banner.as_ref(),
    };
    let mut document = crate::actors::group(public_url, &fields, pem.clone());
    if group.suspended() {
        document = document.suspended();
    }
    let mut inboxes: BTreeSet<String> = groups
        .followers_at(handle, stored.position)
        .into_iter()
        .collect();
    for (who, role) in group.members() {
        if let (GroupActor::Remote(actor), true) = (who, role.is_member()) {
            inboxes.extend(groups.inboxes.get(actor).cloned());
        }
    }
    let actor = group_id(public_url, handle);
    Some(update(
        public_url,
        cause_of(handle, stored),
        &actor,
        &document,
        inboxes,
    ))
}

/// Whether `change` alters what a group's `Group` shows (a suspension strips it).
pub fn changes_group(change: &GroupChange) -> bool {
    matches!(
        change,
        GroupChange::Updated { .. }
            | GroupChange::PictureSet { .. }
            | GroupChange::PictureRemoved { .. }
            | GroupChange::Moderated { .. }
    )
}

/// The pictures a group shows, as its changes set them.
#[derive(Debug, Default)]
pub struct GroupPictures {
    pub avatar: Option<ShownPicture>,
    pub banner: Option<ShownPicture>,
}

impl GroupPictures {
    pub fn follow(&mut self, change: &GroupChange) {
        let (slot, shown) = match change {
            GroupChange::PictureSet { slot, picture } => (*slot, Some(picture.clone())),
            GroupChange::PictureRemoved { slot } => (*slot, None),
            _ => return,
        };
        match slot {
            GroupPicture::Avatar => self.avatar = shown,
            GroupPicture::Banner => self.banner = shown,
        }
    }
}

/// What names the `Update` that change `stored` of aggregate `name` causes: its sequence, and
/// its time.
pub fn cause_of(name: &str, stored: &StoredEvent) -> (String, u64, time::OffsetDateTime) {
    let at = stored
        .metadata()
        .map(|m| m.recorded_at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (name.to_string(), stored.sequence as u64, at)
}

fn update(
    public_url: &str,
    (name, sequence, at): (String, u64, time::OffsetDateTime),
    actor: &str,
    document: &impl serde::Serialize,
    inboxes: BTreeSet<String>,
) -> Outgoing {
    let kind = ActivityKind::Update;
    Outgoing {
        activity: Activity::new(
            activity_id(public_url, &name, sequence, kind),
            kind,
            actor,
            document,
            vec![crate::context::PUBLIC.to_string()],
            vec![format!("{actor}/followers")],
            at,
        ),
        key_id: key_id(actor),
        inboxes: inboxes.into_iter().collect(),
        about: None,
    }
}
