//! From changes of the log to activities: each change of a local actor gives zero or more
//! activities, decided on the aggregate as the log had it at that change (never as it is now),
//! and addressed to the inboxes that followed its actor at that change.
//!
//! What federates: public and unlisted events of a profile, sent by the profile to its
//! followers, and of a group (not members-only), sent by the group to its remote followers (not
//! drafts); their comments (announcements excepted: they are for those taking part); a
//! profile's follows (Follow, Undo, and the Accept of a remote actor's Follow); the `Update`s of
//! profiles and groups ([`super::actors`]); and what a group sends as itself
//! ([`super::groups`]).

use super::actors::{account_updates, cause_of, changes_person, person_update, Extras};
use super::groups::{group_activities, GroupLogs};
use super::relays::{announce, relay_activities};
use super::LogOf;
use crate::actors::local::{group_id, person_id};
use crate::keys::key_id;
use crate::objects::{
    activity_id, comment_url, event_object, event_url, note_object, tombstone, Activity,
    ActivityKind, ActorRef, FederatedComment, FederatedEvent, FederatedGroup,
};
use convene_domain::event::details::Visibility;
use convene_domain::event::{GroupLink, Participant, ParticipantState};
use convene_domain::group::{GroupActor, TodoContent};
use convene_domain::moderation::ContentAction;
use convene_domain::{Event, EventChange, ProfileChange};
use convene_projections::{Error, StoredEvent};
use cqrs_es::Aggregate;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

/// An activity to send, signed by `key_id`, to each of `inboxes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub activity: Activity,
    pub key_id: String,
    pub inboxes: Vec<String>,
    /// The event or post (its URL) the activity is about, for the activities its actor's outbox
    /// may list ([`super::listing`]); none for follows, answers and actor updates.
    pub about: Option<String>,
}

/// An event's comment as far as the outbox remembers it.
#[derive(Debug, Clone)]
struct Comment {
    author: String,
    /// As last posted or edited.
    body: String,
    in_reply_to: Option<String>,
    published: OffsetDateTime,
    announcement: bool,
}

/// An event folded change by change, with what its activities need beyond the aggregate.
#[derive(Default)]
struct Tracked {
    event: Event,
    published: Option<OffsetDateTime>,
    comments: HashMap<String, Comment>,
    /// Who each participation is, kept after they leave.
    people: HashMap<String, (Participant, Option<String>)>,
    /// Created for a group, whose link comes with the next change: nobody's event until then.
    awaiting_group: bool,
    /// The picture it shows (the aggregate keeps only its id).
    picture: Option<convene_domain::picture::ShownPicture>,
    /// Federated as public at some point: the instances following this one have it too.
    public_once: bool,
}

/// Which peers are shown an event as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Audience {
    #[default]
    Nobody,
    /// The remote members of its group here (a members-only event).
    Members,
    /// The sender's followers (and a group's remote members).
    Everyone,
}

impl Tracked {
    /// Who is shown the event as it stands: nobody unless it is ours, published, public or
    /// unlisted, and not removed; a group's members-only event its remote members alone.
    fn audience(&self) -> Audience {
        let event = &self.event;
        let shown = event.origin().is_none()
            && !event.is_draft()
            && !event.moderation().removed
            && event
                .details()
                .is_some_and(|d| d.visibility != Visibility::Private);
        match event.group() {
            _ if !shown => Audience::Nobody,
            Some(group) if group.members_only && group.elsewhere.is_none() => Audience::Members,
            Some(group) if group.members_only => Audience::Nobody,
            None if self.awaiting_group => Audience::Nobody,
            _ => Audience::Everyone,
        }
    }

    /// Whether the event is federated to everyone as it stands (see [`Self::audience`]).
    fn federates(&self) -> bool {
        self.audience() == Audience::Everyone
    }

    /// The group here organising the event, if one does.
    fn group_here(&self) -> Option<&GroupLink> {
        self.event.group().filter(|g| g.elsewhere.is_none())
    }

    /// The actor sending the event's activities: its group here, or else its organiser (a
    /// group elsewhere signs only on its own instance).
    fn sender(&self, public_url: &str) -> String {
        match self.group_here() {
            Some(group) => group_id(public_url, &group.handle),
            None => person_id(public_url, self.event.organiser()),
        }
    }

    /// The inboxes of the sender's followers just after `position`; for an event made for a
    /// group elsewhere, the group's too (it lists the event, and relays it to its own).
    fn followers_at(&self, profiles: &LogOf, groups: &GroupLogs, position: i64) -> Vec<String> {
        match self.event.group() {
            Some(GroupLink {
                elsewhere: Some(group),
                ..
            }) => {
                let mut inboxes = followers_at(profiles, self.event.organiser(), position);
                inboxes.push(group.inbox.clone());
                inboxes.sort();
                inboxes.dedup();
                inboxes
            }
            Some(group) => groups.followers_at(&group.handle, position),
            None => followers_at(profiles, self.event.organiser(), position),
        }
    }

    /// The inboxes of the remote members of its group here just after `position` (none for an
    /// event of no group here).
    fn member_inboxes_at(&self, groups: &GroupLogs, position: i64) -> BTreeSet<String> {
        match self.group_here() {
            Some(group) => groups
                .member_inboxes_at(&group.handle, position)
                .unwrap_or_default(),
            None => BTreeSet::new(),
        }
    }

    /// The group's `members` collection, for what only they are shown; none but for an event of
    /// a group here.
    fn members_collection(&self, public_url: &str) -> Option<String> {
        let group = self.group_here()?;
        Some(format!("{}/members", group_id(public_url, &group.handle)))
    }

    /// Notes whether the event, as it stands, is federated as public.
    fn note_public(&mut self) {
        self.public_once |= self.federates()
            && self
                .event
                .details()
                .is_some_and(|d| d.visibility == Visibility::Public);
    }
}

/// An event folded through the change at `position`, kept between batches: a change to a
/// crowded event then reads the changes after it, not the event's whole history again.
pub struct EventFold {
    tracked: Tracked,
    position: i64,
}

impl EventFold {
    /// The last position folded in.
    pub fn position(&self) -> i64 {
        self.position
    }

    pub fn organiser(&self) -> &str {
        self.tracked.event.organiser()
    }

    /// The handle of the group here organising the event, if any.
    pub fn group(&self) -> Option<&str> {
        self.tracked.group_here().map(|g| g.handle.as_str())
    }
}

/// Folds by event id.
pub type EventFolds = HashMap<String, EventFold>;

/// Everything the changes at positions `from..=to` of `events`, `profiles` and `groups` give.
/// The logs hold their aggregates' earlier changes for context — or only those after the event's
/// fold in `folds`, which each event's fold through `to` then replaces — and may hold later
/// ones: a change is decided with the one after it when both came from one command (an event
/// created for a group is the group's from its first change, and is never federated as a
/// profile's).
pub fn derive(
    public_url: &str,
    (from, to): (i64, i64),
    events: &LogOf,
    folds: &mut EventFolds,
    profiles: &LogOf,
    groups: &GroupLogs,
    extras: &Extras,
) -> Result<Vec<(i64, Outgoing)>, Error> {
    let mut out = Vec::new();
    for (id, log) in events {
        let (mut tracked, mut folded) = match folds.remove(id) {
            Some(fold) => (fold.tracked, fold.position),
            None => (Tracked::default(), 0),
        };
        for (index, stored) in log.iter().enumerate() {
            if stored.position > to {
                break;
            }
            if stored.position <= folded {
                continue;
            }
            folded = stored.position;
            let change: EventChange = stored.change()?;
            let was = tracked.audience();
            let at = stored.metadata()?.recorded_at;
            remember(&mut tracked, &change, at);
            tracked.event.apply(change.clone());
            if for_a_group(&change, log.get(index + 1))? {
                tracked.awaiting_group = true;
            }
            tracked.note_public();
            if stored.position < from || tracked.awaiting_group && tracked.event.group().is_none() {
                continue;
            }
            let senders = (profiles, groups, extras);
            let made =
                event_activities(public_url, id, stored, &change, &tracked, was, at, senders);
            out.extend(made.into_iter().map(|o| (stored.position, o)));
        }
        if folded > 0 {
            let fold = EventFold {
                tracked,
                position: folded,
            };
            folds.insert(id.clone(), fold);
        }
    }
    for (username, log) in profiles {
        for (index, stored) in log.iter().enumerate() {
            if stored.position < from || stored.position > to {
                continue;
            }
            let change: ProfileChange = stored.change()?;
            if changes_person(&change) {
                let followers = followers_at(profiles, username, stored.position);
                let upto = &log[..=index];
                let cause = cause_of(username, stored);
                let account_suspended = false;
                if let Some(update) = person_update(
                    public_url,
                    username,
                    upto,
                    cause,
                    account_suspended,
                    followers,
                    extras,
                )? {
                    out.push((stored.position, update));
                }
            }
            if let Some(outgoing) =
                follow_activity(public_url, username, stored, &change, &log[..index])?
            {
                out.push((stored.position, outgoing));
            }
        }
    }
    for log in extras.accounts.values() {
        for stored in log {
            if (from..=to).contains(&stored.position)
                && super::actors::changes_persons(&stored.change()?)
            {
                let updates = account_updates(public_url, log, stored, profiles, extras)?;
                out.extend(updates.into_iter().map(|o| (stored.position, o)));
            }
        }
    }
    out.extend(group_activities(public_url, (from, to), groups, extras)?);
    out.extend(relay_activities(public_url, (from, to), &extras.relays)?);
    // An activity nobody is to receive is kept only for its actor's outbox (which lists it, or
    // which it takes something out of).
    out.retain(|(_, o)| !o.inboxes.is_empty() || o.about.is_some());
    out.sort_by_key(|(position, _)| *position);
    Ok(out)
}

/// What peers are shown of an event at `/events/{id}`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDocument {
    Event(Box<crate::objects::EventObject>),
    /// A members-only event of our group `group`: for its members' signed fetches alone.
    ForMembers {
        group: String,
        event: Box<crate::objects::EventObject>,
    },
    /// Deleted, or no longer shown to peers: answered 410 Gone.
    Gone(crate::objects::Tombstone),
    /// Never shown to peers: a draft, private, a group's for its members, or another instance's.
    Hidden,
}

/// The event of `log` (all its changes) as peers see it now.
pub fn event_document(
    public_url: &str,
    id: &str,
    log: &[StoredEvent],
) -> Result<EventDocument, Error> {
    let mut tracked = Tracked::default();
    let mut federated_once = false;
    let mut last = None;
    for (index, stored) in log.iter().enumerate() {
        let change: EventChange = stored.change()?;
        let at = stored.metadata()?.recorded_at;
        tracked.awaiting_group |= for_a_group(&change, log.get(index + 1))?;
        remember(&mut tracked, &change, at);
        tracked.event.apply(change);
        federated_once |= tracked.federates();
        last = Some(at);
    }
    let Some(at) = last else {
        return Ok(EventDocument::Hidden);
    };
    let object = || {
        federated_event(public_url, id, &tracked, at)
            .map(|e| Box::new(event_object(public_url, &e)))
    };
    Ok(match (tracked.audience(), tracked.group_here()) {
        (Audience::Everyone, _) => match object() {
            Some(event) => EventDocument::Event(event),
            None => EventDocument::Hidden,
        },
        (Audience::Members, Some(group)) => match object() {
            Some(event) => EventDocument::ForMembers {
                group: group.handle.clone(),
                event,
            },
            None => EventDocument::Hidden,
        },
        _ if federated_once => {
            EventDocument::Gone(tombstone(&event_url(public_url, id), "Event", at, None))
        }
        _ => EventDocument::Hidden,
    })
}

/// What becomes of an event or a post for one audience: created when first shown to it,
/// updated while shown (but for a moderators' decision that leaves it shown), deleted when no
/// longer shown.
pub(super) fn shown_kind(was: bool, now: bool, moderated: bool) -> Option<ActivityKind> {
    match (was, now) {
        (false, false) => None,
        (true, false) => Some(ActivityKind::Delete),
        (false, true) => Some(ActivityKind::Create),
        (true, true) if moderated => None,
        (true, true) => Some(ActivityKind::Update),
    }
}

/// Whether `change` creates an event that the next change gives to a group.
fn for_a_group(change: &EventChange, next: Option<&StoredEvent>) -> Result<bool, Error> {
    if !matches!(change, EventChange::Created { .. }) {
        return Ok(false);
    }
    Ok(match next {
        Some(next) => matches!(
            next.change::<EventChange>()?,
            EventChange::OrganisedByGroup { .. }
        ),
        None => false,
    })
}

fn remember(tracked: &mut Tracked, change: &EventChange, at: OffsetDateTime) {
    match change {
        EventChange::PictureSet { picture } => tracked.picture = Some(picture.clone()),
        EventChange::PictureRemoved => tracked.picture = None,
        EventChange::Joined {
            participation,
            who,
            message,
            ..
        } => {
            tracked
                .people
                .insert(participation.clone(), (who.clone(), message.clone()));
        }
        EventChange::Created { draft: false, .. } | EventChange::Published => {
            tracked.published.get_or_insert(at);
        }
        EventChange::CommentPosted {
            comment,
            author,
            in_reply_to,
            announcement,
            body,
        } => {
            tracked.comments.insert(
                comment.clone(),
                Comment {
                    author: author.clone(),
                    body: body.clone(),
                    in_reply_to: in_reply_to.clone(),
                    published: at,
                    announcement: *announcement,
                },
            );
        }
        EventChange::CommentEdited { comment, body } => {
            if let Some(c) = tracked.comments.get_mut(comment) {
                c.body = body.clone();
            }
        }
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn event_activities(
    public_url: &str,
    id: &str,
    stored: &StoredEvent,
    change: &EventChange,
    tracked: &Tracked,
    was: Audience,
    at: OffsetDateTime,
    (profiles, groups, extras): (&LogOf, &GroupLogs, &Extras),
) -> Vec<Outgoing> {
    let event = &tracked.event;
    // The sender's followers, and for a public event the instances following this one.
    let followers = || {
        let mut inboxes = tracked.followers_at(profiles, groups, stored.position);
        if tracked.public_once {
            inboxes.extend(extras.relays.followers_at(stored.position));
            inboxes.sort();
            inboxes.dedup();
        }
        inboxes
    };
    let sequence = stored.sequence as u64;
    // The organiser, or the group for its events.
    let as_organiser = |kind: ActivityKind, object: Value, to: Vec<String>, cc: Vec<String>| {
        let actor = tracked.sender(public_url);
        Outgoing {
            activity: Activity::new(
                activity_id(public_url, id, sequence, kind),
                kind,
                &actor,
                object,
                to,
                cc,
                at,
            ),
            key_id: key_id(&actor),
            inboxes: followers(),
            about: Some(event_url(public_url, id)),
        }
    };
    let object = || {
        let object = event_object(public_url, &federated_event(public_url, id, tracked, at)?);
        let (to, cc) = (object.to.clone(), object.cc.clone());
        Some((serde_json::to_value(object).ok()?, to, cc))
    };
    let lifecycle = matches!(
        change,
        EventChange::Created { .. }
            | EventChange::OrganisedByGroup { .. }
            | EventChange::GroupOptionsChanged { .. }
            | EventChange::Published
            | EventChange::Updated { .. }
            | EventChange::PictureSet { .. }
            | EventChange::PictureRemoved
            | EventChange::Cancelled
            | EventChange::Deleted
            | EventChange::Moderated { .. }
    );
    match change {
        // Another instance's event, made there for one of our groups: announced when the group
        // takes it and again at each change, so its followers elsewhere fetch it anew.
        EventChange::OrganisedByGroup { .. }
        | EventChange::Updated { .. }
        | EventChange::Cancelled
            if event.origin().is_some() =>
        {
            relayed_by_group(public_url, id, stored, tracked, groups, at)
                .into_iter()
                .collect()
        }
        // A comment removed by moderators is gone for peers; restored, it comes back.
        EventChange::Moderated {
            action:
                ContentAction::RemoveComment { comment } | ContentAction::RestoreComment { comment },
            ..
        }
        | EventChange::CommentPosted { comment, .. }
        | EventChange::CommentEdited { comment, .. }
        | EventChange::CommentDeleted { comment } => comment_activity(
            public_url,
            id,
            stored,
            change,
            comment,
            tracked,
            at,
            (profiles, groups),
        )
        .into_iter()
        .collect(),
        // Each audience is told what became of the event for it, as with a group's posts: the
        // group's remote members see its members-only events too, the followers (and the
        // instances following this one) only what everyone sees; a change shown to neither sends
        // nothing, one no longer shown makes them forget it (deleted, made private or
        // members-only, removed by moderators).
        _ if lifecycle => {
            let now = tracked.audience();
            let members = tracked.member_inboxes_at(groups, stored.position);
            let followers: BTreeSet<String> = followers()
                .into_iter()
                .filter(|inbox| !members.contains(inbox))
                .collect();
            let moderated = matches!(change, EventChange::Moderated { .. });
            // The followers first: an activity both audiences get is addressed as theirs.
            let each = [
                (
                    shown_kind(
                        was == Audience::Everyone,
                        now == Audience::Everyone,
                        moderated,
                    ),
                    followers,
                    true,
                ),
                (
                    shown_kind(was != Audience::Nobody, now != Audience::Nobody, moderated),
                    members,
                    false,
                ),
            ];
            let mut out = Vec::new();
            for (kind, inboxes, to_followers) in each {
                let Some(kind) = kind else { continue };
                if let Some(same) = out
                    .iter_mut()
                    .find(|o: &&mut Outgoing| o.activity.kind == kind)
                {
                    same.inboxes.extend(inboxes);
                    same.inboxes.sort();
                    same.inboxes.dedup();
                    continue;
                }
                let (object, to, cc) = if kind == ActivityKind::Delete {
                    let gone = tombstone(&event_url(public_url, id), "Event", at, None);
                    // Public to the followers; to the members alone for what only they saw.
                    let to = match (to_followers, tracked.members_collection(public_url)) {
                        (false, Some(members)) => members,
                        _ => crate::context::PUBLIC.to_string(),
                    };
                    let gone = serde_json::to_value(gone).unwrap_or(Value::Null);
                    (gone, vec![to], Vec::new())
                } else {
                    match object() {
                        Some(object) => object,
                        None => continue,
                    }
                };
                let mut outgoing = as_organiser(kind, object, to, cc);
                outgoing.inboxes = inboxes.into_iter().collect();
                out.push(outgoing);
            }
            // As Mobilizon's relay does: the instance actor also announces each new public event
            // to the instances following it.
            let created_for_everyone = was != Audience::Everyone && now == Audience::Everyone;
            if created_for_everyone && tracked.public_once {
                let inboxes = extras.relays.followers_at(stored.position);
                if !inboxes.is_empty() {
                    let event = event_url(public_url, id);
                    out.push(announce(public_url, id, sequence, &event, inboxes, at));
                }
            }
            out
        }
        EventChange::Joined { participation, .. } | EventChange::Left { participation }
            if event.origin().is_some() =>
        {
            join_or_leave(public_url, id, stored, change, tracked, participation, at)
                .into_iter()
                .collect()
        }
        EventChange::Joined { participation, .. }
        | EventChange::Approved { participation, .. }
        | EventChange::Promoted { participation }
        | EventChange::Rejected { participation } => {
            answer_to_join(public_url, id, stored, tracked, participation, at)
                .into_iter()
                .collect()
        }
        _ => Vec::new(),
    }
}

/// A local profile's `Join` (with its message) or `Leave` of another instance's event, to the
/// organiser's instance.
fn join_or_leave(
    public_url: &str,
    event_id: &str,
    stored: &StoredEvent,
    change: &EventChange,
    tracked: &Tracked,
    participation: &str,
    at: OffsetDateTime,
) -> Option<Outgoing> {
    let origin = tracked.event.origin()?;
    let (Participant::Profile(username), message) = tracked.people.get(participation)? else {
        return None;
    };
    let kind = match change {
        EventChange::Joined { .. } => ActivityKind::Join,
        _ => ActivityKind::Leave,
    };
    let person = person_id(public_url, username);
    let mut activity = Activity::new(
        activity_id(public_url, event_id, stored.sequence as u64, kind),
        kind,
        &person,
        Value::String(origin.object.clone()),
        vec![origin.actor.clone()],
        Vec::new(),
        at,
    );
    if kind == ActivityKind::Join {
        activity.participation_message = message.clone();
    }
    Some(Outgoing {
        activity,
        key_id: key_id(&person),
        inboxes: vec![origin.inbox.clone()?],
        about: None,
    })
}

/// The `Accept` of a remote participant's `Join` once they hold a seat (on joining, approval or
/// promotion from the waitlist), its `Reject` when refused; sent by the event's organiser to the
/// participant's own inbox. Waiting (for approval or a seat) sends nothing yet.
fn answer_to_join(
    public_url: &str,
    event_id: &str,
    stored: &StoredEvent,
    tracked: &Tracked,
    participation: &str,
    at: OffsetDateTime,
) -> Option<Outgoing> {
    let found = tracked.event.participation(participation)?;
    let Participant::Remote(remote) = &found.who else {
        return None;
    };
    let kind = match found.state {
        ParticipantState::Participant => ActivityKind::Accept,
        ParticipantState::Rejected => ActivityKind::Reject,
        _ => return None,
    };
    let organiser = person_id(public_url, tracked.event.organiser());
    let join = json!({
        "id": remote.join,
        "type": "Join",
        "actor": remote.actor,
        "object": event_url(public_url, event_id),
    });
    Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, event_id, stored.sequence as u64, kind),
            kind,
            &organiser,
            join,
            vec![remote.actor.clone()],
            Vec::new(),
            at,
        ),
        key_id: key_id(&organiser),
        inboxes: vec![remote.inbox.clone()],
        about: None,
    })
}

/// The Create, Update or Delete of a comment on a federated event, to those the event is shown
/// to: the sender's followers and its group's remote members, or for a members-only event the
/// members alone, addressed to them (comments on other instances' events are made there).
#[allow(clippy::too_many_arguments)]
fn comment_activity(
    public_url: &str,
    event_id: &str,
    stored: &StoredEvent,
    change: &EventChange,
    comment_id: &str,
    tracked: &Tracked,
    at: OffsetDateTime,
    (profiles, groups): (&LogOf, &GroupLogs),
) -> Option<Outgoing> {
    let comment = tracked.comments.get(comment_id)?;
    if comment.announcement {
        // Announcements are for those taking part, all of them here.
        return None;
    }
    let event = &tracked.event;
    let details = event.details()?;
    let for_members = match tracked.audience() {
        Audience::Nobody => return None,
        Audience::Members => tracked.members_collection(public_url),
        Audience::Everyone => None,
    };
    let attributed_to = tracked.sender(public_url);
    let mut inboxes = tracked.member_inboxes_at(groups, stored.position);
    if for_members.is_none() {
        inboxes.extend(tracked.followers_at(profiles, groups, stored.position));
    }
    let inboxes: Vec<String> = inboxes.into_iter().collect();
    let author = person_id(public_url, &comment.author);
    let in_reply_to =
        comment
            .in_reply_to
            .as_ref()
            .map(|parent| match tracked.comments.get(parent) {
                Some(_) => comment_url(public_url, parent),
                None => parent.clone(),
            });
    let event_url = event_url(public_url, event_id);
    let about = Some(event_url.clone());
    let removal = matches!(
        change,
        EventChange::CommentDeleted { .. }
            | EventChange::Moderated {
                action: ContentAction::RemoveComment { .. },
                ..
            }
    );
    // What moderators removed is not sent again until they restore it.
    if !removal && tracked.event.comment_removed(comment_id) {
        return None;
    }
    let (kind, object, mut to, mut cc) = if removal {
        let gone = tombstone(
            &comment_url(public_url, comment_id),
            "Note",
            at,
            Some(&author),
        );
        (
            ActivityKind::Delete,
            serde_json::to_value(gone).unwrap_or(Value::Null),
            vec![crate::context::PUBLIC.to_string()],
            vec![attributed_to.clone()],
        )
    } else {
        let note = note_object(
            public_url,
            &FederatedComment {
                uuid: comment_id.to_string(),
                author: actor_ref(&author),
                event: event_url,
                event_attributed_to: attributed_to,
                event_visibility: details.visibility,
                in_reply_to,
                body: comment.body.clone(),
                published: comment.published,
                updated: matches!(change, EventChange::CommentEdited { .. }).then_some(at),
            },
        );
        let kind = match change {
            EventChange::CommentEdited { .. } => ActivityKind::Update,
            // Posted, or restored by moderators.
            _ => ActivityKind::Create,
        };
        let (to, cc) = (note.to.clone(), note.cc.clone());
        (
            kind,
            serde_json::to_value(note).unwrap_or(Value::Null),
            to,
            cc,
        )
    };
    if let Some(members) = for_members {
        (to, cc) = (vec![members], Vec::new());
    }
    let object = match (object, kind) {
        // The note says whom it is for, as its activity does.
        (mut note, ActivityKind::Create | ActivityKind::Update) => {
            note["to"] = json!(to);
            note["cc"] = json!(cc);
            note
        }
        (gone, _) => gone,
    };
    Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, event_id, stored.sequence as u64, kind),
            kind,
            &author,
            object,
            to,
            cc,
            at,
        ),
        key_id: key_id(&author),
        inboxes,
        about,
    })
}

/// The group's `Announce` of an event one of its members elsewhere made for it, as the group
/// takes it (Mobilizon's groups announce what their members create) and after each change its
/// organiser sends (receivers holding it fetch it again and take what changed): to its remote
/// followers and members, the organiser's instance aside (it sent the event), naming the event
/// by its id (receivers fetch it from its origin). Only an event everyone who may see the group
/// may see.
fn relayed_by_group(
    public_url: &str,
    id: &str,
    stored: &StoredEvent,
    tracked: &Tracked,
    groups: &GroupLogs,
    at: OffsetDateTime,
) -> Option<Outgoing> {
    let event = &tracked.event;
    let (origin, group) = (event.origin()?, tracked.group_here()?);
    let visibility = event.details()?.visibility;
    if group.members_only || visibility == Visibility::Private {
        return None;
    }
    let mut inboxes: BTreeSet<String> = groups
        .followers_at(&group.handle, stored.position)
        .into_iter()
        .collect();
    inboxes.extend(
        groups
            .member_inboxes_at(&group.handle, stored.position)
            .ok()?,
    );
    if let Some(sent_from) = &origin.inbox {
        inboxes.remove(sent_from);
    }
    if inboxes.is_empty() {
        return None;
    }
    let actor = group_id(public_url, &group.handle);
    let followers = format!("{actor}/followers");
    let public = crate::context::PUBLIC.to_string();
    let (to, cc) = match visibility {
        Visibility::Public => (vec![public], vec![followers]),
        _ => (vec![followers], vec![public]),
    };
    let kind = ActivityKind::Announce;
    Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, id, stored.sequence as u64, kind),
            kind,
            &actor,
            Value::String(origin.object.clone()),
            to,
            cc,
            at,
        ),
        key_id: key_id(&actor),
        inboxes: inboxes.into_iter().collect(),
        about: None,
    })
}

/// The event as federated after the change at `at`.
fn federated_event(
    public_url: &str,
    id: &str,
    tracked: &Tracked,
    at: OffsetDateTime,
) -> Option<FederatedEvent> {
    let event = &tracked.event;
    let details = event.details()?.clone();
    let participants = event
        .participations()
        .iter()
        .filter(|p| p.state.is_going())
        .count() as i64;
    Some(FederatedEvent {
        uuid: id.to_string(),
        organiser: actor_ref(&person_id(public_url, event.organiser())),
        group: event.group().map(|group| FederatedGroup {
            actor: actor_ref(&match &group.elsewhere {
                Some(elsewhere) => elsewhere.actor.clone(),
                None => group_id(public_url, &group.handle),
            }),
            hide_organiser: group.hide_organiser,
            members_only: group.members_only,
        }),
        details,
        draft: event.is_draft(),
        participant_count: participants,
        participants: Vec::new(),
        picture: tracked.picture.clone(),
        published: tracked.published.unwrap_or(at),
        updated: at,
    })
}

fn actor_ref(id: &str) -> ActorRef {
    ActorRef {
        id: id.to_string(),
        followers: format!("{id}/followers"),
    }
}

/// The inboxes of the remote actors following `username` just after `position`, one per
/// instance when they share an inbox, in a stable order.
pub(super) fn followers_at(profiles: &LogOf, username: &str, position: i64) -> Vec<String> {
    let mut followers: BTreeMap<String, String> = BTreeMap::new();
    for stored in profiles
        .get(username)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if stored.position > position {
            break;
        }
        match stored.change::<ProfileChange>() {
            Ok(ProfileChange::FollowerAdded {
                actor,
                inbox,
                shared_inbox,
                ..
            }) => {
                followers.insert(actor, shared_inbox.unwrap_or(inbox));
            }
            Ok(ProfileChange::FollowerRemoved { actor }) => {
                followers.remove(&actor);
            }
            _ => {}
        }
    }
    let inboxes: BTreeSet<String> = followers.into_values().collect();
    inboxes.into_iter().collect()
}

/// Follow, Undo of a Follow, and the Accept of a remote actor's Follow; Join and Leave of
/// another instance's group (`Join {object: group}` with Mobilizon's `participationMessage`,
/// `Leave {object: group}`), and its answer to such a group's invitation (`Accept` or `Reject`
/// of the `Invite`) and its comments in such a group's discussions (`Create` of a `Note` in the
/// discussion's `context`). `earlier` holds the profile's changes before this one.
fn follow_activity(
    public_url: &str,
    username: &str,
    stored: &StoredEvent,
    change: &ProfileChange,
    earlier: &[StoredEvent],
) -> Result<Option<Outgoing>, Error> {
    let person = person_id(public_url, username);
    let at = stored.metadata()?.recorded_at;
    let id = |kind| activity_id(public_url, username, stored.sequence as u64, kind);
    let (kind, object, to, inbox) =
        match change {
            ProfileChange::FollowerAdded {
                actor,
                inbox,
                activity,
                ..
            } => (
                ActivityKind::Accept,
                json!({"id": activity, "type": "Follow", "actor": actor, "object": person}),
                actor.clone(),
                inbox.clone(),
            ),
            ProfileChange::FollowRequested { target, inbox, .. } => (
                ActivityKind::Follow,
                Value::String(target.clone()),
                target.clone(),
                inbox.clone(),
            ),
            ProfileChange::Unfollowed { target } => {
                // The Follow it undoes: the last request to follow that actor.
                let Some((sequence, inbox)) = earlier.iter().rev().find_map(|e| match e
                    .change::<ProfileChange>()
                {
                    Ok(ProfileChange::FollowRequested {
                        target: t, inbox, ..
                    }) if &t == target => Some((e.sequence as u64, inbox)),
                    _ => None,
                }) else {
                    return Ok(None);
                };
                let follow = activity_id(public_url, username, sequence, ActivityKind::Follow);
                (
                    ActivityKind::Undo,
                    json!({"id": follow, "type": "Follow", "actor": person, "object": target}),
                    target.clone(),
                    inbox,
                )
            }
            ProfileChange::GroupJoinRequested { group, inbox, .. } => (
                ActivityKind::Join,
                Value::String(group.clone()),
                group.clone(),
                inbox.clone(),
            ),
            ProfileChange::GroupLeft { group, inbox } => (
                ActivityKind::Leave,
                Value::String(group.clone()),
                group.clone(),
                inbox.clone(),
            ),
            // As Mobilizon's members write in a discussion: a Note in its context, to the group.
            ProfileChange::GroupDiscussionCommented {
                group,
                inbox,
                discussion,
                body,
            } => (
                ActivityKind::Create,
                json!({
                    "id": format!("{}/note", id(ActivityKind::Create)),
                    "type": "Note",
                    "attributedTo": person,
                    "context": discussion,
                    "content": body,
                    "mediaType": "text/html",
                    "published": convene_domain::metadata::format_timestamp(at),
                    "to": [group],
                }),
                group.clone(),
                inbox.clone(),
            ),
            // As Mobilizon's members add to a group's resources: the `Create` names where it
            // goes as its `target`, the resource's `context` too.
            ProfileChange::GroupResourceAdded {
                group,
                inbox,
                target,
                content,
            } => (
                ActivityKind::Create,
                super::group_work::resource_object(
                    &format!("{}/resource", id(ActivityKind::Create)),
                    target,
                    (group, &person),
                    content,
                ),
                group.clone(),
                inbox.clone(),
            ),
            // As Mobilizon's members change a group's resources: an `Update` of the resource
            // (its `context` where it goes), and a `Delete` naming it by its id.
            ProfileChange::GroupResourceChanged {
                group,
                inbox,
                resource,
                target,
                content,
            } => (
                ActivityKind::Update,
                super::group_work::resource_object(resource, target, (group, &person), content),
                group.clone(),
                inbox.clone(),
            ),
            ProfileChange::GroupResourceDeleted {
                group,
                inbox,
                resource,
            } => (
                ActivityKind::Delete,
                Value::String(resource.clone()),
                group.clone(),
                inbox.clone(),
            ),
            // The answer names the Invite by its id (Mobilizon's is its Member's id).
            ProfileChange::GroupInvitationAccepted {
                group,
                inbox,
                invite,
            } => (
                ActivityKind::Accept,
                Value::String(invite.clone()),
                group.clone(),
                inbox.clone(),
            ),
            ProfileChange::GroupInvitationDeclined {
                group,
                inbox,
                invite,
            } => (
                ActivityKind::Reject,
                Value::String(invite.clone()),
                group.clone(),
                inbox.clone(),
            ),
            // As Mobilizon's members work on a group's todos: a `Create` of a `Todo` in its
            // `todoList`, an `Update` of it as a whole.
            ProfileChange::GroupTodoAdded {
                group,
                inbox,
                list,
                title,
            } => {
                let content = TodoContent {
                    title: title.clone(),
                    due_on: None,
                    assignee: None,
                    done: false,
                };
                let todo = format!("{}/todo", id(ActivityKind::Create));
                (
                    ActivityKind::Create,
                    super::group_work::todo_object(
                        public_url,
                        (group, &person),
                        (list.clone(), todo),
                        &content,
                    ),
                    group.clone(),
                    inbox.clone(),
                )
            }
            ProfileChange::GroupTodoChanged { group, inbox, todo } => {
                let content = TodoContent {
                    title: todo.title.clone(),
                    due_on: todo.due_on.clone(),
                    assignee: todo.assignee.clone().map(GroupActor::Remote),
                    done: todo.done,
                };
                (
                    ActivityKind::Update,
                    super::group_work::todo_object(
                        public_url,
                        (group, &todo.creator),
                        (todo.list.clone(), todo.todo.clone()),
                        &content,
                    ),
                    group.clone(),
                    inbox.clone(),
                )
            }
            _ => return Ok(None),
        };
    let mut activity = Activity::new(id(kind), kind, &person, object, vec![to], Vec::new(), at);
    match change {
        ProfileChange::GroupJoinRequested { message, .. } => {
            activity.participation_message = message.clone();
        }
        ProfileChange::GroupResourceAdded { target, .. } => activity.target = Some(target.clone()),
        _ => {}
    }
    Ok(Some(Outgoing {
        activity,
        key_id: key_id(&person),
        inboxes: vec![inbox],
        about: None,
    }))
}
