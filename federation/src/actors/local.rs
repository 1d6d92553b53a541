//! The actor documents of this instance: `Person` for each profile at `{public_url}/@{username}`
//! and the instance actor, an `Application` at `{public_url}/relay` (Mobilizon's convention).

use crate::keys::key_id;
use crate::objects::{image_object, ImageObject};

use convene_domain::picture::ShownPicture;
use serde::{Deserialize, Serialize};

/// The username of the instance actor, and the last segment of its id.
pub const INSTANCE_USERNAME: &str = "relay";

/// An actor document as we serve it (and as it parses back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalActor {
    #[serde(rename = "@context")]
    pub context: serde_json::Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub url: String,
    pub inbox: String,
    pub outbox: String,
    pub followers: String,
    pub following: String,
    pub endpoints: Endpoints,
    pub discoverable: bool,
    pub manually_approves_followers: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub public_key: PublicKey,
    /// The avatar, as Mastodon and Mobilizon read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<ImageObject>,
    /// The banner (a group's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageObject>,
    /// Suspended by this instance's moderators (Mastodon's `toot:suspended`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

/// The id of the profile `@username`: also the URL of its page.
pub fn person_id(public_url: &str, username: &str) -> String {
    format!("{public_url}/@{username}")
}

/// The actor id of one of a group's people: a profile here, or a remote actor by its URL.
/// (The domain's `GroupActor`, not this module's document of a group.)
pub fn group_actor_id(public_url: &str, who: &convene_domain::group::GroupActor) -> String {
    use convene_domain::group::GroupActor as Who;
    match who {
        Who::Profile(username) => person_id(public_url, username),
        Who::Remote(actor) => actor.clone(),
    }
}

/// The id of the group `@handle`: also its page. Groups and profiles share the `/@name` space.
pub fn group_id(public_url: &str, handle: &str) -> String {
    format!("{public_url}/@{handle}")
}

/// The id of a membership of the group whose id is `group`, as its `Member` object and its
/// `Invite` name it: the member's key (`@username` or actor URL, see `GroupActor::key`)
/// hashed, so the URL says nothing of who it is and stays the same for the same member.
pub fn member_id(group: &str, member_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(&Sha256::digest(member_key.as_bytes())[..16]);
    format!("{group}/members/{digest}")
}

/// The id of the instance actor.
pub fn instance_actor_id(public_url: &str) -> String {
    format!("{public_url}/{INSTANCE_USERNAME}")
}

/// The shared inbox every local actor names.
pub fn shared_inbox(public_url: &str) -> String {
    format!("{public_url}/inbox")
}

/// What a profile shows of itself.
pub struct PersonFields<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub summary: &'a str,
    pub published: &'a str,
    pub avatar: Option<&'a ShownPicture>,
}

/// The `Person` of a profile. Profiles are public and anyone may follow them (no approval until
/// profiles can ask for it).
pub fn person(public_url: &str, fields: &PersonFields<'_>, public_key_pem: String) -> LocalActor {
    let id = person_id(public_url, fields.username);
    LocalActor {
        name: fields.display_name.to_string(),
        summary: fields.summary.to_string(),
        discoverable: true,
        manually_approves_followers: false,
        published: Some(fields.published.to_string()),
        icon: fields.avatar.map(|p| image_object(public_url, p)),
        ..LocalActor::at(public_url, id, "Person", fields.username, public_key_pem)
    }
}

/// What a group shows of itself.
pub struct GroupFields<'a> {
    pub handle: &'a str,
    pub display_name: &'a str,
    pub summary: &'a str,
    /// `open`, `moderated` or `invite_only`, as Mobilizon writes it.
    pub openness: &'a str,
    pub manually_approves_followers: bool,
    /// Listed on the instance (a public group), or reached by its address only (unlisted).
    pub discoverable: bool,
    /// Members, role `member` and above.
    pub member_count: i64,
    pub published: &'a str,
    pub avatar: Option<&'a ShownPicture>,
    pub banner: Option<&'a ShownPicture>,
}

/// A group's actor document: the actor's fields and Mobilizon's group extras, its openness,
/// its member count and the collections of its tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupActor {
    #[serde(flatten)]
    pub actor: LocalActor,
    pub openness: String,
    pub member_count: i64,
    pub members: String,
    pub events: String,
    pub posts: String,
    pub discussions: String,
    pub resources: String,
    pub todos: String,
}

/// The `Group` of a group, as Mobilizon serves one (`lib/federation/activity_stream/converter/
/// actor.ex`): the collections beside `followers` and `outbox` are its tools'.
pub fn group(public_url: &str, fields: &GroupFields<'_>, public_key_pem: String) -> GroupActor {
    let id = group_id(public_url, fields.handle);
    let collection = |name: &str| format!("{id}/{name}");
    GroupActor {
        openness: fields.openness.to_string(),
        member_count: fields.member_count,
        members: collection("members"),
        events: collection("events"),
        posts: collection("posts"),
        discussions: collection("discussions"),
        resources: collection("resources"),
        todos: collection("todos"),
        actor: LocalActor {
            name: fields.display_name.to_string(),
            summary: fields.summary.to_string(),
            discoverable: fields.discoverable,
            manually_approves_followers: fields.manually_approves_followers,
            published: Some(fields.published.to_string()),
            icon: fields.avatar.map(|p| image_object(public_url, p)),
            image: fields.banner.map(|p| image_object(public_url, p)),
            ..LocalActor::at(
                public_url,
                id.clone(),
                "Group",
                fields.handle,
                public_key_pem,
            )
        },
    }
}

impl GroupActor {
    /// The group as it shows while suspended (see [`LocalActor::suspended`]).
    pub fn suspended(self) -> Self {
        Self {
            actor: self.actor.suspended(),
            ..self
        }
    }
}

/// The instance actor: it signs fetches, follows other instances and is followed by them. It
/// accepts followers at once: all they get is the instance's public events.
pub fn instance_actor(public_url: &str, name: &str, public_key_pem: String) -> LocalActor {
    let id = instance_actor_id(public_url);
    LocalActor {
        name: name.to_string(),
        discoverable: false,
        manually_approves_followers: false,
        ..LocalActor::at(
            public_url,
            id,
            "Application",
            INSTANCE_USERNAME,
            public_key_pem,
        )
    }
}

impl LocalActor {
    /// The actor as it shows while suspended, the way Mastodon shows its suspended accounts:
    /// its ids, collections and key stay, so that peers can tell it is suspended and still check
    /// what it signed; what it wrote or chose (name, summary, pictures) does not show.
    pub fn suspended(self) -> Self {
        Self {
            name: self.preferred_username.clone(),
            summary: String::new(),
            discoverable: false,
            icon: None,
            image: None,
            suspended: true,
            ..self
        }
    }

    /// An actor at `id` with its inbox, outbox, collections, the shared inbox and its key; named
    /// by its username alone, not discoverable, approving its followers, until said otherwise.
    fn at(
        public_url: &str,
        id: String,
        kind: &str,
        preferred_username: &str,
        public_key_pem: String,
    ) -> Self {
        Self {
            context: crate::context::context(),
            kind: kind.to_string(),
            preferred_username: preferred_username.to_string(),
            name: preferred_username.to_string(),
            summary: String::new(),
            url: id.clone(),
            inbox: format!("{id}/inbox"),
            outbox: format!("{id}/outbox"),
            followers: format!("{id}/followers"),
            following: format!("{id}/following"),
            endpoints: Endpoints {
                shared_inbox: shared_inbox(public_url),
            },
            discoverable: false,
            manually_approves_followers: true,
            published: None,
            icon: None,
            image: None,
            suspended: false,
            public_key: PublicKey {
                id: key_id(&id),
                owner: id.clone(),
                public_key_pem,
            },
            id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

    #[test]
    fn a_member_id_is_stable_and_says_nothing_of_who() {
        let group = "https://x.example/@club";
        let alice = member_id(group, "https://y.example/users/alice");
        assert_eq!(alice, member_id(group, "https://y.example/users/alice"));
        assert_ne!(alice, member_id(group, "@alice"));
        assert!(
            alice.starts_with("https://x.example/@club/members/"),
            "{alice}"
        );
        assert!(!alice.contains("alice"), "{alice}");
        assert_eq!(alice.rsplit('/').next().map(str::len), Some(32));
    }

    fn shown(hash: &str, alt: &str) -> ShownPicture {
        ShownPicture {
            id: "p1".into(),
            facts: convene_domain::picture::PictureFacts {
                hash: hash.repeat(32),
                width: 1280,
                height: 720,
                widths: vec![320, 640, 1280],
                colour: "#102030".into(),
                blurhash: None,
            },
            alt: alt.into(),
        }
    }

    #[test]
    fn a_person_has_mobilizons_ids_and_round_trips() -> Result<(), serde_json::Error> {
        let avatar = shown("ab", "");
        let fields = PersonFields {
            username: "alice",
            display_name: "Alice",
            summary: "<p>Hi</p>",
            published: "2026-11-26T10:00:00Z",
            avatar: Some(&avatar),
        };
        let actor = person("https://events.example", &fields, PEM.to_string());
        let json = serde_json::to_value(&actor)?;
        assert_eq!(json["id"], "https://events.example/@alice");
        assert_eq!(json["type"], "Person");
        assert_eq!(json["inbox"], "https://events.example/@alice/inbox");
        assert_eq!(json["outbox"], "https://events.example/@alice/outbox");
        assert_eq!(
            json["endpoints"]["sharedInbox"],
            "https://events.example/inbox"
        );
        assert_eq!(
            json["publicKey"]["id"],
            "https://events.example/@alice#main-key"
        );
        assert_eq!(json["publicKey"]["owner"], "https://events.example/@alice");
        assert_eq!(json["publicKey"]["publicKeyPem"], PEM);
        assert_eq!(json["manuallyApprovesFollowers"], false);
        assert_eq!(json["discoverable"], true);
        assert_eq!(json["published"], "2026-11-26T10:00:00Z");
        // The avatar as Mastodon reads it: the widest rendition, with its size.
        assert_eq!(json["icon"]["type"], "Image");
        assert_eq!(json["icon"]["mediaType"], "image/jpeg");
        assert_eq!(
            json["icon"]["url"],
            format!(
                "https://events.example/pictures/{}-1280.jpg",
                "ab".repeat(32)
            )
        );
        assert_eq!(json["icon"]["width"], 1280);
        assert!(
            json["icon"].get("name").is_none(),
            "no empty alternative text"
        );
        assert!(json.get("image").is_none());
        let remote = crate::actors::remote::parse(&json);
        assert!(
            matches!(&remote, Err(crate::actors::RemoteActorError::BadKey(_))),
            "{remote:?}"
        );
        let back: LocalActor = serde_json::from_value(json)?;
        assert_eq!(back, actor);
        Ok(())
    }

    #[test]
    fn a_group_has_mobilizons_extras_and_round_trips() -> Result<(), serde_json::Error> {
        let (avatar, banner) = (
            shown("cd", "The club's knot"),
            shown("ef", "A cliff at dawn"),
        );
        let fields = GroupFields {
            handle: "climbers",
            display_name: "Climbers",
            summary: "<p>Up</p>",
            openness: "moderated",
            manually_approves_followers: true,
            discoverable: true,
            member_count: 3,
            published: "2026-11-26T10:00:00Z",
            avatar: Some(&avatar),
            banner: Some(&banner),
        };
        let group = group("https://events.example", &fields, PEM.to_string());
        let json = serde_json::to_value(&group)?;
        assert_eq!(json["id"], "https://events.example/@climbers");
        assert_eq!(json["type"], "Group");
        assert_eq!(json["preferredUsername"], "climbers");
        assert_eq!(json["openness"], "moderated");
        assert_eq!(json["memberCount"], 3);
        assert_eq!(json["manuallyApprovesFollowers"], true);
        assert_eq!(json["discoverable"], true);
        assert_eq!(json["icon"]["name"], "The club's knot");
        assert_eq!(json["image"]["name"], "A cliff at dawn");
        assert_eq!(
            json["image"]["url"],
            format!(
                "https://events.example/pictures/{}-1280.jpg",
                "ef".repeat(32)
            )
        );
        assert_eq!(json["image"]["height"], 720);
        for name in [
            "members",
            "events",
            "posts",
            "discussions",
            "resources",
            "todos",
        ] {
            assert_eq!(
                json[name],
                format!("https://events.example/@climbers/{name}")
            );
        }
        assert_eq!(
            json["followers"],
            "https://events.example/@climbers/followers"
        );
        assert_eq!(
            json["publicKey"]["id"],
            "https://events.example/@climbers#main-key"
        );
        assert_eq!(
            json["endpoints"]["sharedInbox"],
            "https://events.example/inbox"
        );
        // Read back as peers read it: the actors module takes it as a Group.
        let remote = crate::actors::remote::parse(&json);
        assert!(
            matches!(&remote, Err(crate::actors::RemoteActorError::BadKey(_))),
            "only the test's placeholder key is refused: {remote:?}"
        );
        let back: GroupActor = serde_json::from_value(json)?;
        assert_eq!(back, group);
        Ok(())
    }

    #[test]
    fn the_instance_actor_is_an_application_at_relay() -> Result<(), serde_json::Error> {
        let actor = instance_actor("https://events.example", "events.example", PEM.to_string());
        let json = serde_json::to_value(&actor)?;
        assert_eq!(json["id"], "https://events.example/relay");
        assert_eq!(json["type"], "Application");
        assert_eq!(json["preferredUsername"], "relay");
        assert_eq!(json["inbox"], "https://events.example/relay/inbox");
        assert_eq!(
            json["endpoints"]["sharedInbox"],
            "https://events.example/inbox"
        );
        assert!(json.get("published").is_none());
        Ok(())
    }
}
