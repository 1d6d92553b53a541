//! Hostile input is refused or made safe, never a panic.

use super::support::{event, fixtures, PUBLIC_URL};
use convene_federation::incoming::{
    parse, parse_bytes, Ignored, Incoming, IncomingObject, NESTING_MAX,
};
use convene_federation::objects::event_object;
use serde_json::{json, Value};

/// Our own event as JSON, to spoil one property at a time.
fn our_event() -> Value {
    serde_json::to_value(event_object(PUBLIC_URL, &event())).expect("serialises")
}

fn read_event(value: &Value) -> Result<convene_federation::incoming::IncomingEvent, Ignored> {
    match parse(value)? {
        Incoming::Object(IncomingObject::Event(event)) => Ok(*event),
        other => panic!("an event or a reason, not {other:?}"),
    }
}

#[test]
fn deeply_nested_json_is_refused_before_it_is_read() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        parse_bytes(deep.as_bytes()).map_err(|e| e.rule()),
        Err("malformed")
    );
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    assert_eq!(
        parse_bytes(deep_object.as_bytes()).map_err(|e| e.rule()),
        Err("malformed")
    );
    // Activities inside activities, within what JSON allows, stop at a few levels.
    let mut activity = json!("https://peer.example/objects/1");
    for level in 0..NESTING_MAX + 1 {
        activity = json!({
            "type": "Undo",
            "id": format!("https://peer.example/undo/{level}"),
            "actor": "https://peer.example/users/a",
            "object": activity,
        });
    }
    assert_eq!(parse(&activity), Err(Ignored::TooDeep(NESTING_MAX)));
    for bad in ["", "null", "42", "\"Event\"", "[]", "{", "{\"type\": 42}"] {
        assert!(parse_bytes(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn huge_lists_are_read_only_so_far() {
    let mut value = our_event();
    let hashtags: Vec<Value> = (0..100_000)
        .map(|i| json!({"type": "Hashtag", "name": format!("#t{i}")}))
        .collect();
    value["tag"] = Value::Array(hashtags);
    value["cc"] = Value::Array(
        (0..200_000)
            .map(|i| json!(format!("https://x.example/{i}")))
            .collect(),
    );
    let links: Vec<Value> = (0..50_000)
        .map(|i| json!({"type": "PropertyValue", "propertyID": "mz:x", "value": format!("v{i}")}))
        .collect();
    value["attachment"] = Value::Array(links);
    value["location"] = Value::Array((0..50_000).map(|i| json!(format!("Place {i}"))).collect());
    let started = std::time::Instant::now();
    let event = read_event(&value).expect("still an event");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        event.details.tags.len(),
        convene_domain::event::details::TAGS_MAX
    );
    assert_eq!(
        event.details.links.len(),
        convene_domain::event::details::LINKS_MAX
    );
    assert_eq!(
        event.details.address.and_then(|a| a.name).as_deref(),
        Some("Place 0")
    );
}

#[test]
fn ids_that_are_not_web_urls_are_refused() {
    for bad in [
        json!(42),
        json!(null),
        json!(true),
        json!({"no": "id"}),
        json!("javascript:alert(1)"),
        json!("file:///etc/passwd"),
        json!("data:text/html,<script>alert(1)</script>"),
        json!("ftp://convene.example/events/1"),
        json!("/events/1"),
        json!(""),
    ] {
        let mut value = our_event();
        value["id"] = bad.clone();
        let rule = read_event(&value).map(|_| ()).map_err(|e| e.rule());
        assert!(
            matches!(rule, Err("bad_id" | "missing_field")),
            "{bad}: {rule:?}"
        );
        let mut value = our_event();
        value["actor"] = bad.clone();
        value["attributedTo"] = bad.clone();
        assert!(read_event(&value).is_err(), "actor {bad}");
        let activity = json!({
            "type": "Join", "id": "https://peer.example/join/1",
            "actor": "https://peer.example/users/a", "object": bad,
        });
        assert!(parse(&activity).is_err(), "object {bad}");
    }
    // An id on another host than its actor: not believed.
    let mut value = our_event();
    value["id"] = json!("https://elsewhere.example/events/1");
    assert_eq!(
        read_event(&value).map_err(|e| e.rule()).err(),
        Some("foreign_origin")
    );
    // Hosts compare normalised: case and default port do not make another origin.
    let mut value = our_event();
    value["id"] = json!("https://CONVENE.example:443/events/1");
    assert!(read_event(&value).is_ok());
    // An embedded object from another origin is named, to be fetched from there.
    let create = json!({
        "type": "Create", "id": "https://peer.example/create/1",
        "actor": "https://peer.example/users/a", "object": our_event(),
    });
    let Ok(Incoming::Activity(create)) = parse(&create) else {
        panic!("a Create");
    };
    assert_eq!(
        create.object,
        convene_federation::incoming::ObjectRef::Id(format!(
            "{PUBLIC_URL}/events/4f7a1c2e-0b6d-4a53-9d1e-2f3c4b5a6d7e"
        ))
    );
}

#[test]
fn html_is_sanitised_and_text_is_kept_to_local_limits() {
    let mut value = our_event();
    value["content"] = json!(
        r#"<p onclick="steal()">Hi<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a></p>"#
    );
    value["name"] = json!(format!("A\u{0}title\nwith {}", "very ".repeat(100)));
    let event = read_event(&value).expect("an event");
    let description = &event.details.description;
    for bad in ["script", "onclick", "onerror", "javascript:"] {
        assert!(!description.contains(bad), "{bad} in {description}");
    }
    assert!(description.contains("Hi"));
    let title = &event.details.title;
    assert_eq!(title.chars().count(), 200);
    assert!(title.ends_with('…'));
    assert!(!title.chars().any(char::is_control), "{title:?}");

    let mut short = our_event();
    short["name"] = json!("A");
    assert_eq!(
        read_event(&short).map_err(|e| e.rule()).err(),
        Some("invalid")
    );
    let mut huge = our_event();
    huge["content"] = json!("x".repeat(200 * 1024));
    assert_eq!(
        read_event(&huge).map_err(|e| e.rule()).err(),
        Some("invalid")
    );
    let mut deep = our_event();
    deep["content"] = json!("<div>".repeat(500));
    assert_eq!(
        read_event(&deep).map_err(|e| e.rule()).err(),
        Some("invalid")
    );

    let note = |content: Value| {
        json!({
            "type": "Note", "id": "https://peer.example/notes/1",
            "attributedTo": "https://peer.example/users/a",
            "inReplyTo": format!("{PUBLIC_URL}/events/1"), "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };
    let Ok(Incoming::Object(IncomingObject::Note(read))) =
        parse(&note(json!("<p>ok<script>alert(1)</script></p>")))
    else {
        panic!("a note");
    };
    assert_eq!(read.content, "<p>ok</p>");
    for refused in [
        json!(""),
        json!("<script>x</script>"),
        json!("<b>".repeat(100)),
        json!("x".repeat(70_000)),
    ] {
        assert_eq!(parse(&note(refused)).map_err(|e| e.rule()), Err("invalid"));
    }
}

#[test]
fn odd_values_fall_back_instead_of_failing() {
    let mut value = our_event();
    value["maximumAttendeeCapacity"] = json!(1e300);
    value["category"] = json!(["not", "a", "string"]);
    value["timezone"] = json!("Mars/Olympus_Mons");
    value["startTime"] = json!("2030-06-01T14:00:00+02:00");
    value["endTime"] = json!("2030-05-01T00:00:00Z");
    value["inLanguage"] = json!("fr-CA");
    value["location"] =
        json!({"type": "Place", "name": "Hall", "latitude": "NaN", "longitude": 500});
    value["type"] = json!(["Event", "sc:Event"]);
    let event = read_event(&value).expect("an event");
    let d = &event.details;
    assert_eq!(d.capacity, None);
    assert_eq!(d.category, "MEETING");
    assert_eq!(d.time_zone, "Etc/GMT-2");
    assert_eq!(d.ends_at, None, "an end before the start is dropped");
    assert_eq!(d.language, "fr");
    let address = d.address.as_ref().expect("the place");
    assert_eq!((address.latitude, address.longitude), (None, None));
    let mut bad_time = our_event();
    bad_time["startTime"] = json!("2030-13-45T99:00:00Z");
    assert_eq!(read_event(&bad_time), Err(Ignored::BadTime("startTime")));
    let mut naive = our_event();
    naive["startTime"] = json!("2030-06-01T14:00:00");
    assert_eq!(read_event(&naive), Err(Ignored::BadTime("startTime")));
    let mut draft = our_event();
    draft["draft"] = json!(true);
    assert_eq!(read_event(&draft), Err(Ignored::Draft));
}

/// Every property of every fixture replaced by odd values: each read ends in a value or a reason.
#[test]
fn no_spoilt_fixture_panics() {
    let Some(root) = fixtures("no_spoilt_fixture_panics") else {
        return;
    };
    let mut documents = vec![our_event()];
    for folder in ["mobilizon", "rebased", "event-bridge"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).expect("readable");
                documents.push(serde_json::from_str(&text).expect("JSON"));
            }
        }
    }
    let odd = [
        json!(null),
        json!(-1),
        json!(1.5e308),
        json!(""),
        json!("\u{0}"),
        json!([]),
        json!([null, 42, {}]),
        json!({}),
        json!({"type": "Event", "id": 42}),
        json!({"type": ["Undo"], "object": {"type": "Undo"}}),
    ];
    let mut reads = 0;
    for document in &documents {
        let Some(map) = document.as_object() else {
            continue;
        };
        for key in map.keys() {
            for value in &odd {
                let mut spoilt = document.clone();
                spoilt[key] = value.clone();
                if let Some(object) = spoilt.get_mut("object").filter(|o| o.is_object()) {
                    if let Some(first) = object.as_object().and_then(|o| o.keys().next().cloned()) {
                        object[first] = value.clone();
                    }
                }
                let _ = parse(&spoilt);
                reads += 1;
            }
        }
    }
    assert!(reads > 1_000, "only {reads} documents read");
}
