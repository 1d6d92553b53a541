//! Who must hear of each change of an event, and what they are told. One function per kind of
//! change; each returns the notices it gives rise to, from the event as it was just before the
//! change (so a replay decides exactly as the first run did).
//!
//! Adding a kind: a variant of [`Kind`], a function here called from [`notices`], and its
//! templates in every catalogue (`templates/*.toml`; a test checks they are all there).

use crate::kinds::Kind;
use convene_domain::event::details::{Address, EventDetails, Visibility};
use convene_domain::event::{Participant, ParticipantState};
use convene_domain::moderation::AccountAction;
use convene_domain::text::{plain_text, shorten};
use convene_domain::{
    AccountChange, Event, EventChange, Group, GroupActor, GroupChange, MemberRole, ProfileChange,
    ReportChange,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Who a notification is for: a local profile, an account itself (what concerns none of its
/// profiles, such as a moderators' warning), or an anonymous participant's confirmed address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    Profile(String),
    Account(String),
    Email(String),
}

impl Recipient {
    /// As stored: `@username`, `account:id` or `mailto:address`.
    pub fn key(&self) -> String {
        match self {
            Recipient::Profile(username) => format!("@{username}"),
            Recipient::Account(id) => format!("account:{id}"),
            Recipient::Email(email) => format!("mailto:{email}"),
        }
    }

    pub fn parse(key: &str) -> Option<Recipient> {
        if let Some(username) = key.strip_prefix('@') {
            Some(Recipient::Profile(username.to_string()))
        } else if let Some(id) = key.strip_prefix("account:") {
            Some(Recipient::Account(id.to_string()))
        } else {
            key.strip_prefix("mailto:")
                .map(|email| Recipient::Email(email.to_string()))
        }
    }
}

/// What a message says: the event as the recipient should know it, and the fact itself.
/// Everything a template may show is here; the recipient's own profile is `profile`, and the
/// only other profile ever named is `who` (someone of another account).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub title: String,
    /// RFC 3339, UTC.
    pub begins_at: String,
    pub time_zone: String,
    /// The event's language: an anonymous participant's mail is written in it.
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub online_url: Option<String>,
    /// The recipient's profile (`None` for an anonymous participant).
    #[serde(default)]
    pub profile: Option<String>,
    /// The other profile the fact is about (who asked to join, who answered).
    #[serde(default)]
    pub who: Option<String>,
    /// Approved to the waitlist rather than to a seat.
    #[serde(default)]
    pub waitlisted: bool,
    /// What changed: `time`, `place`, `online_url`.
    #[serde(default)]
    pub changed: Vec<String>,
    /// The start before the change, when the time changed.
    #[serde(default)]
    pub begins_at_before: Option<String>,
    /// The text of an announcement or a reply (plain text).
    #[serde(default)]
    pub text: Option<String>,
    /// A reminder sent after its time (the server was stopped when it was due).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// Why the organisers cancelled the event, as they said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An anonymous participant's participation, while it can still be cancelled: their mail
    /// carries the link cancelling it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participation: Option<String>,
    /// What the moderators did with a report: `resolved` (they acted) or `closed` (nothing to
    /// act on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// One notification to derive.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: Kind,
    pub recipient: Recipient,
    pub facts: Facts,
}

/// What the mapping remembers of an event beyond the aggregate's public state.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    /// Comment id → its author's username.
    pub comment_authors: HashMap<String, String>,
    /// Created as a draft and not yet published (nobody is reminded of a draft).
    pub draft: bool,
}

impl Memory {
    /// Keeps what later changes of the event need (called after [`notices`], for every change).
    pub fn remember(&mut self, change: &EventChange) {
        match change {
            EventChange::CommentPosted {
                comment, author, ..
            } => {
                self.comment_authors.insert(comment.clone(), author.clone());
            }
            EventChange::Created { draft, .. } => self.draft = *draft,
            EventChange::Published => self.draft = false,
            _ => {}
        }
    }
}

/// The notices `change` gives rise to, `before` being the event just before it; `reason` is
/// the one its metadata records, if any.
pub fn notices(
    before: &Event,
    change: &EventChange,
    memory: &Memory,
    reason: Option<&str>,
) -> Vec<Notice> {
    let Some(details) = before.details().or(match change {
        EventChange::Created { details, .. } => Some(details),
        _ => None,
    }) else {
        return Vec::new();
    };
    use EventChange as C;
    match change {
        C::Joined { who, state, .. } => joined(before, details, who, *state),
        C::Confirmed {
            participation,
            state,
        } => who_of(before, participation)
            .map(|who| joined(before, details, &who, *state))
            .unwrap_or_default(),
        C::Approved {
            participation,
            state,
        } => to_participant(before, details, participation, Kind::Approved, |f| {
            f.waitlisted = *state == ParticipantState::Waitlisted
        }),
        C::Rejected { participation } => {
            to_participant(before, details, participation, Kind::Rejected, |_| {})
        }
        C::Promoted { participation } => {
            to_participant(before, details, participation, Kind::Promoted, |_| {})
        }
        C::Updated { details: after, .. } => changed(before, details, after),
        C::Cancelled => to_everyone_taking_part(before, details, Kind::EventCancelled, |f| {
            f.reason = reason.map(str::to_string)
        }),
        C::Deleted => to_everyone_taking_part(before, details, Kind::EventDeleted, |_| {}),
        C::CommentPosted {
            author,
            in_reply_to,
            body,
            announcement,
            ..
        } => {
            let plain = plain_text(body);
            let text = shorten(&plain, 500);
            let notices = if *announcement {
                to_everyone_taking_part(before, details, Kind::Announcement, |f| {
                    f.text = Some(text.clone())
                })
            } else {
                reply(details, memory, in_reply_to.as_deref(), author, &text)
            };
            let mut notices = mentions(before, details, notices, &mentioned(&plain), author, &text);
            notices.retain(|n| n.recipient != Recipient::Profile(author.clone()));
            notices
        }
        // A comment from another instance tells the author of the comment it answers, and the
        // profiles here its `Mention` tags name, as a local one does (its author, a remote
        // actor, is nobody here).
        C::RemoteCommentPosted {
            author,
            in_reply_to,
            body,
            mentions: named,
            ..
        } => {
            let text = shorten(&plain_text(body), 500);
            let notices = reply(details, memory, in_reply_to.as_deref(), &author.handle, &text);
            mentions(before, details, notices, named, &author.handle, &text)
        }
        C::Created { .. }
        | C::OrganisedByGroup { .. }
        | C::GroupOptionsChanged { .. }
        | C::PictureSet { .. }
        | C::PictureRemoved
        | C::Published
        | C::Left { .. }
        | C::RoleChanged { .. }
        | C::CommentEdited { .. }
        | C::CommentDeleted { .. }
        // Remote events have nobody taking part here.
        | C::Imported { .. }
        // A remote actor's new name is shown, not announced.
        | C::RemoteActorDescribed { .. }
        // Moderators' decisions reach people by the moderators' own mail, not as notices.
        | C::Moderated { .. } => Vec::new(),
    }
}

/// The notices a change of a group gives rise to, `before` being the group just before it;
/// `acting` is the profile that made the change and `reason` the one its metadata records. A
/// request to join reaches the group's moderators and administrators; an invitation, and the
/// answer to a request, the profile concerned. Profiles here only: people on other instances
/// hear through their own.
pub fn group_notices(
    before: &Group,
    change: &GroupChange,
    acting: Option<&str>,
    reason: Option<&str>,
) -> Vec<Notice> {
    let Some(details) = before.details() else {
        return Vec::new();
    };
    let group_facts = |recipient: &str| Facts {
        title: details.display_name.clone(),
        profile: Some(recipient.to_string()),
        ..Facts::default()
    };
    let to_profile = |who: &GroupActor, kind: Kind, adjust: &dyn Fn(&mut Facts)| {
        let GroupActor::Profile(username) = who else {
            return Vec::new();
        };
        let mut facts = group_facts(username);
        adjust(&mut facts);
        vec![Notice {
            kind,
            recipient: Recipient::Profile(username.clone()),
            facts,
        }]
    };
    match change {
        GroupChange::MemberJoined {
            who,
            role: MemberRole::NotApproved,
            message,
        } => {
            let asker = match who {
                GroupActor::Profile(username) => username.clone(),
                GroupActor::Remote(actor) => actor.clone(),
            };
            before
                .members()
                .iter()
                .filter(|(_, role)| role.at_least(MemberRole::Moderator))
                .filter_map(|(member, _)| match member {
                    GroupActor::Profile(username) => Some(username.clone()),
                    GroupActor::Remote(_) => None,
                })
                .map(|moderator| Notice {
                    kind: Kind::GroupJoinRequest,
                    recipient: Recipient::Profile(moderator.clone()),
                    facts: Facts {
                        who: Some(asker.clone()),
                        text: message
                            .as_deref()
                            .map(|m| shorten(&plain_text(m), 500))
                            .filter(|m| !m.is_empty()),
                        ..group_facts(&moderator)
                    },
                })
                .collect()
        }
        GroupChange::MemberInvited { who } => to_profile(who, Kind::GroupInvitation, &|f| {
            f.who = acting.map(str::to_string)
        }),
        GroupChange::MemberApproved { who } => to_profile(who, Kind::GroupApproved, &|_| {}),
        GroupChange::MemberRejected { who } => to_profile(who, Kind::GroupRejected, &|f| {
            f.reason = reason
                .map(|r| shorten(r.trim(), 500))
                .filter(|r| !r.is_empty())
        }),
        _ => Vec::new(),
    }
}

/// What a local profile's change about another instance's group tells the profile itself: the
/// group's invitation (with who invited), and its acceptance of the profile's request to join;
/// the kind, the group's actor URL and the inviter's. A removal tells nothing (the group's own
/// instance tells its members, and a rejection notice would misread it).
pub fn group_elsewhere(change: &ProfileChange) -> Option<(Kind, &str, Option<&str>)> {
    match change {
        ProfileChange::GroupInvitationReceived { group, by, .. } => {
            Some((Kind::GroupInvitation, group, Some(by)))
        }
        ProfileChange::GroupJoinAccepted { group } => Some((Kind::GroupApproved, group, None)),
        _ => None,
    }
}

/// The notice of [`group_elsewhere`]'s `kind` to `profile`, the group named `title` and the
/// inviter `who` as this instance knows them.
pub fn group_elsewhere_notice(
    profile: &str,
    kind: Kind,
    title: &str,
    who: Option<String>,
) -> Notice {
    Notice {
        kind,
        recipient: Recipient::Profile(profile.to_string()),
        facts: Facts {
            title: title.to_string(),
            profile: Some(profile.to_string()),
            who,
            ..Facts::default()
        },
    }
}

/// The notice a report's end gives rise to: its reporter (a profile here; an anonymous reporter
/// left no address) hears it was handled, when they filed it, and whether the moderators acted —
/// never who decided, nor why.
pub fn report_notice(reporter: &str, filed_at: &str, change: &ReportChange) -> Option<Notice> {
    let outcome = match change {
        ReportChange::Resolved { .. } => "resolved",
        ReportChange::Closed { .. } => "closed",
        _ => return None,
    };
    Some(Notice {
        kind: Kind::ReportHandled,
        recipient: Recipient::Profile(reporter.to_string()),
        facts: Facts {
            begins_at: filed_at.to_string(),
            time_zone: "UTC".into(),
            profile: Some(reporter.to_string()),
            outcome: Some(outcome.into()),
            ..Facts::default()
        },
    })
}

/// The notice a moderators' decision on an account gives rise to: a warning reaches the account
/// with the moderators' words (never naming a moderator, nor any of the account's profiles).
pub fn account_notice(account: &str, change: &AccountChange) -> Option<Notice> {
    let AccountChange::Moderated {
        action: AccountAction::Warn,
        decision,
    } = change
    else {
        return None;
    };
    Some(Notice {
        kind: Kind::ModerationWarning,
        recipient: Recipient::Account(account.to_string()),
        facts: Facts {
            text: Some(decision.reason.clone()),
            ..Facts::default()
        },
    })
}

/// A join (or a confirmed anonymous one): the organisers hear of a request or a new participant.
fn joined(
    before: &Event,
    details: &EventDetails,
    who: &Participant,
    state: ParticipantState,
) -> Vec<Notice> {
    let kind = match state {
        ParticipantState::NotApproved => Kind::JoinRequest,
        ParticipantState::Participant => Kind::NewParticipant,
        _ => return Vec::new(),
    };
    let named = match who {
        Participant::Profile(username) => Some(username.clone()),
        Participant::Remote(remote) => Some(remote.handle.clone()),
        Participant::Anonymous { .. } => None,
    };
    organisers(before)
        .into_iter()
        .map(|organiser| {
            let recipient = Recipient::Profile(organiser);
            let mut facts = facts(details, &recipient);
            facts.who = named.clone();
            Notice {
                kind,
                recipient,
                facts,
            }
        })
        .collect()
}

fn to_participant(
    before: &Event,
    details: &EventDetails,
    participation: &str,
    kind: Kind,
    adjust: impl Fn(&mut Facts),
) -> Vec<Notice> {
    let Some(recipient) = who_of(before, participation).and_then(recipient_of) else {
        return Vec::new();
    };
    let mut facts = facts(details, &recipient);
    facts.participation = cancellable(kind, &recipient, participation);
    adjust(&mut facts);
    vec![Notice {
        kind,
        recipient,
        facts,
    }]
}

/// The time, place or online link changed: everyone taking part or waiting hears of it.
fn changed(before: &Event, details: &EventDetails, after: &EventDetails) -> Vec<Notice> {
    let mut what = Vec::new();
    if details.begins_at != after.begins_at
        || details.ends_at != after.ends_at
        || details.time_zone != after.time_zone
    {
        what.push("time".to_string());
    }
    if details.address != after.address {
        what.push("place".to_string());
    }
    if details.online_url != after.online_url {
        what.push("online_url".to_string());
    }
    if what.is_empty() {
        return Vec::new();
    }
    let begins_before = (details.begins_at != after.begins_at).then(|| rfc3339(details));
    to_everyone_taking_part(before, after, Kind::EventChanged, |f| {
        f.changed = what.clone();
        f.begins_at_before = begins_before.clone();
    })
}

/// The notice to the author of the comment `in_reply_to` answers, if it is a profile here, of
/// a reply by `author` saying `text`.
fn reply(
    details: &EventDetails,
    memory: &Memory,
    in_reply_to: Option<&str>,
    author: &str,
    text: &str,
) -> Vec<Notice> {
    in_reply_to
        .and_then(|parent| memory.comment_authors.get(parent))
        .map(|parent_author| {
            let recipient = Recipient::Profile(parent_author.clone());
            let mut facts = facts(details, &recipient);
            facts.who = Some(author.to_string());
            facts.text = Some(text.to_string());
            vec![Notice {
                kind: Kind::CommentReply,
                recipient,
                facts,
            }]
        })
        .unwrap_or_default()
}

/// `notices`, then a mention to each profile `named` who hears nothing else of the comment and
/// may read the event.
fn mentions(
    before: &Event,
    details: &EventDetails,
    mut notices: Vec<Notice>,
    named: &[String],
    author: &str,
    text: &str,
) -> Vec<Notice> {
    for named in named {
        let recipient = Recipient::Profile(named.clone());
        if notices.iter().any(|n| n.recipient == recipient)
            || !may_be_told_of(before, details, named)
        {
            continue;
        }
        let mut facts = facts(details, &recipient);
        facts.who = Some(author.to_string());
        facts.text = Some(text.to_string());
        notices.push(Notice {
            kind: Kind::Mention,
            recipient,
            facts,
        });
    }
    notices
}

/// Profiles named at most in one comment: a comment naming more tells none of the rest.
pub const MENTIONS_MAX: usize = 10;

/// The local profiles a text names as `@username`, in order and once each: not the `@name@host`
/// of another instance, nor the middle of an address such as `ana@example.org`.
pub fn mentioned(text: &str) -> Vec<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let after_word = previous.is_some_and(|p| is_name(p) || p == '@');
        previous = Some(c);
        if c != '@' || after_word {
            continue;
        }
        let rest = &text[at + 1..];
        let length = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
        let (name, tail) = rest.split_at(length);
        let remote = tail.starts_with('@') && tail[1..].starts_with(|c: char| c.is_alphanumeric());
        let name = name.to_ascii_lowercase();
        if name.is_empty() || remote || convene_domain::profile::validate_username(&name).is_err() {
            continue;
        }
        if !found.contains(&name) {
            found.push(name);
        }
        if found.len() == MENTIONS_MAX {
            break;
        }
        // Skip over the name, so `@ana@host` is not read again from its second `@`.
        for _ in 0..length {
            previous = chars.next().map(|(_, c)| c);
        }
    }
    found
}

/// Whether `username` may read what is said on the event: anyone may, on a public or unlisted
/// event that is not a group's for its members; else only those taking part in it.
fn may_be_told_of(before: &Event, details: &EventDetails, username: &str) -> bool {
    let open = details.visibility != Visibility::Private
        && !before.group().is_some_and(|g| g.members_only);
    open || before
        .participation_of(&Participant::Profile(username.to_string()))
        .is_some_and(|p| p.state != ParticipantState::Rejected)
}

fn to_everyone_taking_part(
    before: &Event,
    details: &EventDetails,
    kind: Kind,
    adjust: impl Fn(&mut Facts),
) -> Vec<Notice> {
    before
        .participations()
        .iter()
        .filter(|p| {
            matches!(
                p.state,
                ParticipantState::Participant | ParticipantState::Waitlisted
            )
        })
        .filter_map(|p| {
            let recipient = recipient_of(p.who.clone())?;
            let mut facts = facts(details, &recipient);
            facts.participation = cancellable(kind, &recipient, &p.id);
            adjust(&mut facts);
            Some(Notice {
                kind,
                recipient,
                facts,
            })
        })
        .collect()
}

/// An anonymous participant's participation, when after a change of `kind` they still take
/// part (or wait) and may want to cancel: not once the event is cancelled or deleted, nor once
/// their request was declined.
fn cancellable(kind: Kind, recipient: &Recipient, participation: &str) -> Option<String> {
    let open = !matches!(
        kind,
        Kind::EventCancelled | Kind::EventDeleted | Kind::Rejected
    );
    (open && matches!(recipient, Recipient::Email(_))).then(|| participation.to_string())
}

/// The event's organisers who are profiles (a group organising is heard through its members).
fn organisers(event: &Event) -> Vec<String> {
    event
        .participations()
        .iter()
        .filter(|p| p.state.is_organiser())
        .filter_map(|p| match &p.who {
            Participant::Profile(username) => Some(username.clone()),
            Participant::Anonymous { .. } | Participant::Remote(_) => None,
        })
        .collect()
}

fn who_of(event: &Event, participation: &str) -> Option<Participant> {
    event.participation(participation).map(|p| p.who.clone())
}

/// Who is told here; participants on other instances hear of changes over federation.
fn recipient_of(who: Participant) -> Option<Recipient> {
    match who {
        Participant::Profile(username) => Some(Recipient::Profile(username)),
        Participant::Anonymous { email } => Some(Recipient::Email(email)),
        Participant::Remote(_) => None,
    }
}

pub(crate) fn facts(details: &EventDetails, recipient: &Recipient) -> Facts {
    Facts {
        profile: match recipient {
            Recipient::Profile(username) => Some(username.clone()),
            Recipient::Account(_) | Recipient::Email(_) => None,
        },
        ..event_facts(details)
    }
}

/// What any message about the event says of it, to nobody in particular.
pub(crate) fn event_facts(details: &EventDetails) -> Facts {
    Facts {
        title: details.title.clone(),
        begins_at: rfc3339(details),
        time_zone: details.time_zone.clone(),
        language: details.language.clone(),
        place: details.address.as_ref().map(place),
        online_url: details.online_url.clone(),
        ..Facts::default()
    }
}

fn rfc3339(details: &EventDetails) -> String {
    details
        .begins_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn place(address: &Address) -> String {
    [
        &address.name,
        &address.street,
        &address.postal_code,
        &address.locality,
        &address.country,
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.trim().is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn recipients_read_back() {
        for r in [
            Recipient::Profile("ana".into()),
            Recipient::Account("a1".into()),
            Recipient::Email("x@example.org".into()),
        ] {
            assert_eq!(Recipient::parse(&r.key()), Some(r));
        }
    }
    use convene_domain::event::details::{EventStatus, JoinMode};
    use time::macros::datetime;

    #[test]
    fn names_are_found_once_each_and_addresses_and_other_instances_are_not_names() {
        assert_eq!(
            mentioned("@ana, thanks! cc @Bob_2 and @ana again (@cleo)."),
            ["ana", "bob_2", "cleo"]
        );
        assert!(mentioned("write to ana@example.org or @dan@other.example").is_empty());
        assert!(mentioned("@ @- @@ana @Ça").is_empty());
        let crowd: String = (0..15).map(|i| format!("@p{i} ")).collect();
        assert_eq!(mentioned(&crowd).len(), MENTIONS_MAX);
    }

    /// A published event organised by `org` (participation `p-org`).
    pub(crate) fn event(visibility: Visibility) -> Event {
        let details = EventDetails {
            description_source: None,
            remote_picture: None,
            title: "Soup night".into(),
            description: String::new(),
            begins_at: datetime!(2030-06-01 18:00 UTC),
            ends_at: None,
            time_zone: "Europe/Paris".into(),
            status: EventStatus::Confirmed,
            visibility,
            join_mode: JoinMode::Free,
            external_url: None,
            capacity: None,
            address: None,
            online_url: None,
            category: "MEETING".into(),
            tags: vec![],
            language: "en".into(),
            links: vec![],
            options: Default::default(),
        };
        let mut event = Event::default();
        cqrs_es::Aggregate::apply(
            &mut event,
            EventChange::Created {
                organiser: "org".into(),
                creator_participation: "p-org".into(),
                details,
                draft: false,
            },
        );
        event
    }

    fn comment(body: &str, in_reply_to: Option<&str>) -> EventChange {
        EventChange::CommentPosted {
            comment: "c2".into(),
            author: "ana".into(),
            in_reply_to: in_reply_to.map(str::to_string),
            body: format!("<p>{body}</p>"),
            announcement: false,
        }
    }

    fn told(notices: &[Notice]) -> Vec<(Kind, String)> {
        notices
            .iter()
            .map(|n| (n.kind, n.recipient.key()))
            .collect()
    }

    #[test]
    fn those_named_hear_of_it_unless_they_hear_otherwise_or_may_not_read_it() {
        let public = event(Visibility::Public);
        let mut memory = Memory::default();
        memory.comment_authors.insert("c1".into(), "bob".into());
        let said = notices(
            &public,
            &comment("@bob @cleo @ana see you there", Some("c1")),
            &memory,
            None,
        );
        // Bob hears of the reply, not twice; the author never of herself.
        assert_eq!(
            told(&said),
            [
                (Kind::CommentReply, "@bob".to_string()),
                (Kind::Mention, "@cleo".to_string())
            ]
        );
        assert_eq!(said[1].facts.who.as_deref(), Some("ana"));
        assert_eq!(
            said[1].facts.text.as_deref(),
            Some("@bob @cleo @ana see you there")
        );

        // On a private event only those taking part are told: the organiser, not Cleo.
        let private = event(Visibility::Private);
        let said = notices(&private, &comment("@cleo @org", None), &memory, None);
        assert_eq!(told(&said), [(Kind::Mention, "@org".to_string())]);
    }
}
