//! Every fixture from real peers is read: events and notes give the right values, the rest is
//! ignored with its reason, nothing panics; `docs/federation.md` holds the table of results.

use super::support::fixtures;
use convene_federation::incoming::{
    parse, parse_location, Ignored, Incoming, IncomingActivity, IncomingEvent, IncomingObject,
    Location, ObjectRef,
};
use serde_json::Value;
use std::path::Path;
use time::format_description::well_known::Rfc3339;

/// What one fixture gives, in one line of the table.
fn outcome(path: &Path, relative: &str) -> String {
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    if relative.ends_with(".xml")
        || relative.contains("/nodeinfo/")
        || relative.contains("/webfinger/")
    {
        return "discovery document (WebFinger, host-meta, NodeInfo): read by discovery".into();
    }
    let value: Value = serde_json::from_str(&text).expect("fixtures are JSON");
    if relative.contains("AP-location/") {
        return format!("location: {}", location(&parse_location(&value)));
    }
    if let Some(kind) = value.get("type").and_then(Value::as_str) {
        if ["Person", "Group", "Application", "Service", "Organization"].contains(&kind) {
            return format!("{kind} actor document: read by the actors module");
        }
    }
    match parse(&value) {
        Ok(Incoming::Object(object)) => describe_object(&object),
        Ok(Incoming::Activity(activity)) => describe_activity(&activity),
        Err(ignored) => ignored_line(&ignored),
    }
}

fn ignored_line(ignored: &Ignored) -> String {
    format!("ignored `{}`: {ignored}", ignored.rule())
}

fn location(location: &Location) -> String {
    let mut parts = Vec::new();
    if let Some(address) = &location.address {
        let fields: Vec<&str> = [
            &address.name,
            &address.street,
            &address.postal_code,
            &address.locality,
            &address.region,
            &address.country,
        ]
        .into_iter()
        .filter_map(|f| f.as_deref())
        .collect();
        let mut text = fields.join(", ");
        if let (Some(lat), Some(lon)) = (address.latitude, address.longitude) {
            text.push_str(&format!(" ({lat}, {lon})"));
        }
        parts.push(format!("place {text}"));
    }
    if let Some(url) = &location.online_url {
        parts.push(format!("online {url}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

fn describe_event(event: &IncomingEvent) -> String {
    let d = &event.details;
    let at = |t: time::OffsetDateTime| t.format(&Rfc3339).expect("formats");
    let mut text = format!(
        "Event “{}”, {} to {} ({}), {}, location: {}, {:?}, {:?}",
        d.title,
        at(d.begins_at),
        d.ends_at.map(at).unwrap_or_else(|| "no end".into()),
        d.time_zone,
        d.category,
        location(&Location {
            address: d.address.clone(),
            online_url: d.online_url.clone(),
        }),
        d.visibility,
        d.join_mode,
    );
    if !d.tags.is_empty() {
        text.push_str(&format!(", tags {}", d.tags.join(" ")));
    }
    if let Some(capacity) = d.capacity {
        text.push_str(&format!(", {capacity} seats"));
    }
    if let Some(picture) = &d.remote_picture {
        text.push_str(&format!(", picture {}", picture.url));
        if !picture.alt.is_empty() {
            text.push_str(&format!(" (“{}”)", picture.alt));
        }
    }
    text
}

fn describe_object(object: &IncomingObject) -> String {
    match object {
        IncomingObject::Event(event) => describe_event(event),
        IncomingObject::Note(note) => format!(
            "Note by {} replying to {} ({:?})",
            note.attributed_to, note.in_reply_to, note.visibility
        ),
        IncomingObject::Tombstone(t) => format!("Tombstone of {}", t.id),
        IncomingObject::Resource(r) => format!(
            "{} “{}” added by {} in {}",
            if r.content.kind.is_folder() {
                "folder"
            } else {
                "link"
            },
            r.content.title,
            r.actor,
            r.context.as_deref().unwrap_or("no folder")
        ),
        IncomingObject::TodoList(l) => format!("todo list “{}” of {}", l.title, l.group),
        IncomingObject::Todo(t) => format!(
            "todo “{}” ({}) added by {} in {}",
            t.title,
            if t.done { "done" } else { "to do" },
            t.actor,
            t.list
        ),
    }
}

fn describe_activity(activity: &IncomingActivity) -> String {
    let object = match &activity.object {
        ObjectRef::Id(id) => format!("id {id}"),
        ObjectRef::Object(object) => describe_object(object),
        ObjectRef::Activity(inner) => format!("[{}]", describe_activity(inner)),
        ObjectRef::Actor { kind, id, .. } => format!("{kind} {id}"),
        ObjectRef::Member(m) => format!("Member {} of {} ({:?})", m.actor, m.group, m.role),
    };
    let target = activity
        .target
        .as_ref()
        .map_or_else(String::new, |t| format!(", inviting {t}"));
    format!(
        "{:?} by {}: {object}{target}",
        activity.kind, activity.actor
    )
}

fn walk(folder: &Path, found: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .expect("a readable folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, found);
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            found.push(path);
        }
    }
}

/// `(fixture, outcome)` for every file, in path order.
fn outcomes(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    walk(root, &mut files);
    files
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            (relative.clone(), outcome(path, &relative))
        })
        .collect()
}

#[test]
fn the_table_of_what_real_peers_send_is_in_the_docs() {
    let Some(root) = fixtures("the_table_of_what_real_peers_send_is_in_the_docs") else {
        return;
    };
    let rows: Vec<String> = outcomes(&root)
        .into_iter()
        .map(|(file, outcome)| format!("| `{file}` | {} |", outcome.replace('|', "\\|")))
        .collect();
    assert!(rows.len() >= 69, "only {} fixtures found", rows.len());
    let doc = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/federation.md"),
    )
    .expect("docs/federation.md");
    let missing: Vec<&String> = rows
        .iter()
        .filter(|row| !doc.contains(row.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/federation.md lacks these rows of its table (the whole table follows):\n{}\n\n{}",
        missing
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        rows.join("\n")
    );
}

fn read(test: &str, file: &str) -> Option<Value> {
    let root = fixtures(test)?;
    let text = std::fs::read_to_string(root.join(file)).expect("the fixture is there");
    Some(serde_json::from_str(&text).expect("fixtures are JSON"))
}

fn created_event(value: &Value) -> IncomingEvent {
    match parse(value) {
        Ok(Incoming::Activity(activity)) => match activity.object {
            ObjectRef::Object(IncomingObject::Event(event)) => *event,
            other => panic!("a Create of an Event, not {other:?}"),
        },
        other => panic!("a Create of an Event, not {other:?}"),
    }
}

#[test]
fn mobilizon_events_keep_their_place_online_link_and_times() {
    for file in [
        "mobilizon/mobilizon-post-activity.json",
        "mobilizon/mobilizon-post-activity-media.json",
        "mobilizon/mobilizon-post-activity-media-1.json",
        "mobilizon/mobilizon-post-activity-media-2.json",
    ] {
        let Some(value) = read("mobilizon_events", file) else {
            return;
        };
        let event = created_event(&value);
        assert_eq!(
            event.id,
            "https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93"
        );
        assert_eq!(event.actor, "https://mobilizon.fr/@metacartes");
        assert_eq!(
            event.uuid.as_deref(),
            Some("109ccdfd-ee3e-46e1-a877-6c228763df0c")
        );
        let d = &event.details;
        assert_eq!(d.title, "My first event");
        assert_eq!(
            d.begins_at,
            time::macros::datetime!(2018-02-12 14:08:20 UTC)
        );
        assert_eq!(d.ends_at, None);
        assert_eq!(d.time_zone, "UTC");
        // "TODO remove me" is no category: the default.
        assert_eq!(d.category, "MEETING");
        let address = d.address.as_ref().expect("an address");
        assert_eq!(address.name.as_deref(), Some("Locaux de Framasoft"));
        assert_eq!(address.street.as_deref(), Some("10 Rue Jangot"));
        assert_eq!(address.postal_code.as_deref(), Some("69007"));
        assert_eq!(address.locality.as_deref(), Some("Lyon"));
        assert_eq!(address.region.as_deref(), Some("Auvergne Rhône Alpes"));
        assert_eq!(address.country.as_deref(), Some("France"));
        // The Link named "Website" is the online address; "Another link" is not.
        assert_eq!(d.online_url.as_deref(), Some("https://google.com"));
        // A Mention is no tag.
        assert!(d.tags.is_empty());
        assert_eq!(
            d.visibility,
            convene_domain::event::details::Visibility::Public
        );
        assert!(d.description.contains("tcit"), "{}", d.description);
        assert_eq!(d.capacity, None);
    }
}

#[test]
fn a_mobilizon_group_event_names_the_group_and_stays_with_its_audience() {
    let Some(value) = read(
        "group_event",
        "mobilizon/mobilizon-post-activity-group.json",
    ) else {
        return;
    };
    let event = created_event(&value);
    assert_eq!(event.actor, "http://mobilizon1.com/@user");
    assert_eq!(event.attributed_to, "http://mobilizon1.com/@group");
    // Addressed to the group only: not public.
    assert_eq!(
        event.details.visibility,
        convene_domain::event::details::Visibility::Private
    );
    assert_eq!(event.details.address, None);
}

#[test]
fn an_older_mobilizon_event_keeps_its_coordinates_tags_and_zone() {
    let Some(value) = read("mobilizon_org_event", "rebased/mobilizon.org-event.json") else {
        return;
    };
    let Ok(Incoming::Object(IncomingObject::Event(event))) = parse(&value) else {
        panic!("an event");
    };
    let d = &event.details;
    assert_eq!(d.title, "Mobilizon Launching Party");
    assert_eq!(d.begins_at, time::macros::datetime!(2019-12-18 13:00 UTC));
    assert_eq!(
        d.ends_at,
        Some(time::macros::datetime!(2019-12-18 14:00 UTC))
    );
    // "meeting" in lower case is the category MEETING.
    assert_eq!(d.category, "MEETING");
    assert_eq!(d.tags, ["mobilizon", "federation", "activitypub", "party"]);
    // maximumAttendeeCapacity 0 is Mobilizon's "no limit".
    assert_eq!(d.capacity, None);
    let address = d.address.as_ref().expect("an address");
    assert_eq!(
        address.name.as_deref(),
        Some("Cour du Château des Ducs de Bretagne")
    );
    assert_eq!(address.locality.as_deref(), Some("Nantes"));
    // A street of one space is no street; a null postal code is none.
    assert_eq!(address.street, None);
    assert_eq!(address.postal_code, None);
    // `geo` coordinates, as sent (this 2019 document swapped them).
    assert_eq!(address.latitude, Some(-1.54939699141711));
    assert_eq!(address.longitude, Some(47.21617415));
    assert!(d.options.comments_open);
    assert_eq!(
        event.updated,
        Some(time::macros::datetime!(2019-12-17 12:25:01 UTC))
    );
}

#[test]
fn a_gancio_event_gets_a_zone_from_its_offset_and_its_place_from_a_name() {
    let Some(value) = read("gancio_event", "mobilizon/gancio-event-activity.json") else {
        return;
    };
    let event = created_event(&value);
    let d = &event.details;
    assert_eq!(
        event.url.as_deref(),
        Some("https://demo.gancio.org/event/demo-event")
    );
    assert_eq!(event.actor, "https://demo.gancio.org/federation/u/gancio");
    assert_eq!(d.title, "Demo event");
    // 17:30:57+02:00, kept as the instant, the zone named from the offset.
    assert_eq!(
        d.begins_at,
        time::macros::datetime!(2021-07-14 15:30:57 UTC)
    );
    assert_eq!(
        d.ends_at,
        Some(time::macros::datetime!(2021-07-14 16:30:57 UTC))
    );
    assert_eq!(d.time_zone, "Etc/GMT-2");
    assert_eq!(
        d.address.as_ref().and_then(|a| a.name.as_deref()),
        Some("Colosseo")
    );
    assert_eq!(d.tags, ["test"]);
    assert_eq!(d.category, "MEETING");
}

#[test]
fn a_wordpress_bridge_event_without_start_is_ignored_but_its_place_reads() {
    let Some(value) = read("event_bridge", "event-bridge/gancio-v1.22.json") else {
        return;
    };
    assert_eq!(parse(&value), Err(Ignored::MissingField("startTime")));
    // The same document with a start: string address, Hashtags in any case.
    let mut value = value;
    value["startTime"] = Value::String("2025-03-01T20:00:00+01:00".into());
    let Ok(Incoming::Object(IncomingObject::Event(event))) = parse(&value) else {
        panic!("an event once it has a start");
    };
    let address = event.details.address.expect("an address");
    assert_eq!(address.name.as_deref(), Some("Fediverse TV"));
    assert_eq!(address.street.as_deref(), Some("C/ Falsa 123"));
    assert_eq!(event.details.tags, ["sport", "cello"]);
    assert_eq!(event.details.time_zone, "Etc/GMT-1");
    assert_eq!(
        event.details.description,
        "<strong> This is the the <i>content</i></strong>"
    );
}

#[test]
fn gancio_locations_of_every_shape() {
    let Some(root) = fixtures("gancio_locations") else {
        return;
    };
    let read = |file: &str| -> Location {
        let text = std::fs::read_to_string(root.join("gancio/AP-location").join(file))
            .expect("the fixture");
        parse_location(&serde_json::from_str(&text).expect("JSON"))
    };
    assert_eq!(
        read("bad-location-without-a-name.json"),
        Location::default()
    );
    let mixed = read("multiple-mixed-locations.json");
    assert_eq!(
        mixed.address.and_then(|a| a.name).as_deref(),
        Some("Location with a name")
    );
    assert_eq!(
        mixed.online_url.as_deref(),
        Some("https://virtual.location.org")
    );
    let postal = read("physical-location-with-postal-address.json")
        .address
        .expect("an address");
    assert_eq!(postal.street.as_deref(), Some("15 Fediverse Street"));
    assert_eq!(postal.postal_code.as_deref(), Some("8010"));
    assert_eq!(postal.locality.as_deref(), Some("Fediverse Town"));
    assert_eq!(postal.region.as_deref(), Some("Steiermark"));
    assert_eq!(postal.country.as_deref(), Some("Austria"));
    let string = read("physical-location-with-simple-string-address.json")
        .address
        .expect("an address");
    assert_eq!(string.street.as_deref(), Some("Simple string address"));
    assert_eq!(
        read("physical-location-without-id.json")
            .address
            .and_then(|a| a.name)
            .as_deref(),
        Some("Location without id")
    );
    let online = read("virtual-location.json");
    assert_eq!(online.address, None);
    assert_eq!(
        online.online_url.as_deref(),
        Some("https://virtual.location.org")
    );
}

#[test]
fn mastodon_replies_become_sanitised_notes_and_statuses_alone_are_ignored() {
    let Some(value) = read("mastodon_reply", "mobilizon/mastodon-status-3.json") else {
        return;
    };
    let Ok(Incoming::Object(IncomingObject::Note(note))) = parse(&value) else {
        panic!("a note");
    };
    assert_eq!(
        note.id,
        "https://pirateradio.social/objects/eeaa8ced-27d6-49bb-a53b-fd2646b63f99"
    );
    assert_eq!(
        note.in_reply_to,
        "https://framapiaf.org/users/peertube/statuses/105945857653893100"
    );
    assert_eq!(
        note.attributed_to,
        "https://pirateradio.social/users/captain"
    );
    assert_eq!(
        note.published,
        Some(time::macros::datetime!(2021-03-24 19:01:37.759478 UTC))
    );
    // The sanitiser keeps links (made safe) and drops the classes.
    assert!(note.content.contains("Pirate Radio TV"), "{}", note.content);
    assert!(!note.content.contains("class="), "{}", note.content);
    for file in [
        "mobilizon/mastodon-post-activity.json",
        "mobilizon/mastodon-post-activity-private.json",
    ] {
        let value = read("mastodon_statuses", file).expect("fixtures are there");
        assert_eq!(parse(&value), Err(Ignored::NotAReply), "{file}");
    }
    // A note naming only its `context` (Pleroma's conversation, Mobilizon's discussion) answers
    // that context: the inbox takes it when the context is one of our groups' discussions.
    let value = read("pleroma_context", "mobilizon/pleroma-comment-object.json")
        .expect("fixtures are there");
    let Ok(Incoming::Object(IncomingObject::Note(note))) = parse(&value) else {
        panic!("a note");
    };
    let context = "https://fedi.absturztau.be/contexts/4adddb80-0236-4e03-8a83-94be817b5dbe";
    assert_eq!(note.context.as_deref(), Some(context));
    assert_eq!(note.in_reply_to, context);
}

#[test]
fn participation_and_follow_activities_name_their_objects() {
    let Some(join) = read("join", "mobilizon/mobilizon-join-activity.json") else {
        return;
    };
    let Ok(Incoming::Activity(join)) = parse(&join) else {
        panic!("a Join");
    };
    assert_eq!(join.kind, convene_federation::objects::ActivityKind::Join);
    assert_eq!(join.actor, "http://mobilizon2.test/@admin");
    assert_eq!(
        join.object,
        ObjectRef::Id("http://mobilizon.test/events/some-uuid".into())
    );
    assert_eq!(join.participation_message, None);
    let accept = read("accept", "mobilizon/mastodon-accept-activity.json").expect("there");
    let Ok(Incoming::Activity(accept)) = parse(&accept) else {
        panic!("an Accept");
    };
    let ObjectRef::Activity(follow) = accept.object else {
        panic!("the Follow it accepts");
    };
    assert_eq!(
        follow.kind,
        convene_federation::objects::ActivityKind::Follow
    );
    assert_eq!(follow.actor, "http://mobilizon.test/@thomas1");
    // Likes are not handled, even inside an Undo.
    let undo = read("undo_like", "mobilizon/mastodon-undo-like.json").expect("there");
    assert_eq!(
        parse(&undo),
        Err(Ignored::UnsupportedActivity("Like".into()))
    );
    // A note whose id is on another host than its author is refused (CVE-2024-23832).
    let forged = read("forged", "mobilizon/https__info.pleroma.site_activity.json").expect("there");
    assert_eq!(parse(&forged).map_err(|e| e.rule()), Err("foreign_origin"));
}

#[test]
fn pictures_are_read_as_mobilizon_reads_them() {
    let test = "pictures_are_read_as_mobilizon_reads_them";
    // The attachment named "Banner", else `image`, else the first image attachment.
    for (file, url) in [
        (
            "mobilizon/mobilizon-post-activity-media-2.json",
            "https://mobilizon.fr/some-image-2",
        ),
        (
            "mobilizon/mobilizon-post-activity-media-1.json",
            "https://mobilizon.fr/some-image-1",
        ),
        (
            "mobilizon/mobilizon-post-activity-media.json",
            "https://mobilizon.fr/some-image",
        ),
    ] {
        let Some(value) = read(test, file) else {
            return;
        };
        let picture = created_event(&value).details.remote_picture.expect(file);
        assert_eq!(picture.url, url, "{file}");
        assert_eq!(
            picture.alt, "",
            "{file}: no description, and Banner is none"
        );
        assert_eq!(picture.media_type.as_deref(), Some("image/png"));
    }
    let Some(value) = read(test, "mobilizon/mobilizon-post-activity.json") else {
        return;
    };
    assert_eq!(
        created_event(&value).details.remote_picture,
        None,
        "links are no picture"
    );
    // Gancio's: a Document whose name describes it (the event itself lacks its start time).
    let Some(value) = read(test, "event-bridge/gancio-v1.22.json") else {
        return;
    };
    let picture = convene_federation::incoming::picture(&value).expect("a picture");
    assert_eq!(
        picture.url,
        "http://remote.example/media/36755574a6e48a1ccd3351d35e1a371f.jpg"
    );
    assert_eq!(picture.alt, "Picture Show alt");
}

#[test]
fn a_spoilt_picture_leaves_the_event_without_one() {
    let Some(mut value) = read(
        "a_spoilt_picture_leaves_the_event_without_one",
        "mobilizon/mobilizon-post-activity-media-1.json",
    ) else {
        return;
    };
    for (image, attachment) in [
        (
            serde_json::json!({"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo="}),
            serde_json::json!([]),
        ),
        (
            serde_json::json!(42),
            serde_json::json!([{"type": "Document"}]),
        ),
        (
            serde_json::json!({"type": "Image", "url": ["javascript:alert(1)"]}),
            serde_json::json!([{"type": "Document", "mediaType": "image/png", "url": "ftp://x.example/a.png", "name": "Banner"}]),
        ),
        (serde_json::Value::Null, serde_json::json!("not a list")),
    ] {
        value["object"]["image"] = image.clone();
        value["object"]["attachment"] = attachment;
        let event = created_event(&value);
        assert_eq!(event.details.remote_picture, None, "{image}");
        assert_eq!(event.details.title, "My first event", "still accepted");
    }
}
