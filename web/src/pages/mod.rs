//! Page handlers, one module per area.

pub mod about;
pub mod accounts;
pub mod admin;
pub mod anonymous;
pub mod calendar;
pub mod deliveries;
pub mod event;
pub mod event_form;
pub mod group_discussions;
pub mod group_posts;
pub mod group_resources;
pub mod group_todos;
pub mod groups;
pub mod home;
pub mod instances;
pub mod moderation;
pub mod notifications;
pub mod organise;
pub mod pictures;
pub mod remote_group;
pub mod search;
pub mod settings;
pub mod share;

use crate::render::see_other;
use crate::visitor::Visitor;
use crate::Web;
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::auth::Acting;
use convene_domain::event::ParticipantState;
use std::collections::HashMap;

/// A posted form, field by field.
pub type Fields = axum::Form<HashMap<String, String>>;

/// The trimmed value of `name` ("" when absent).
pub fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// A posted form must carry the visitor's CSRF token; otherwise a 403 page says why.
pub fn check_csrf(
    web: &Web,
    visitor: &Visitor,
    form: &HashMap<String, String>,
) -> Result<(), Response> {
    if visitor.csrf_ok(form.get("_csrf")) {
        return Ok(());
    }
    let catalogue = web.pages.catalogue(visitor);
    let mut response = web.pages.message(
        visitor,
        &catalogue.text("error_403_title"),
        &catalogue.text("csrf_failed"),
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    Err(response)
}

/// The session of a visitor posting `form`, its CSRF token checked; a visitor logged out is sent
/// to the login page.
pub fn posting_session<'a>(
    web: &Web,
    visitor: &'a Visitor,
    form: &HashMap<String, String>,
) -> Result<&'a convene_api::auth::Session, Response> {
    check_csrf(web, visitor, form)?;
    visitor.session.as_ref().ok_or_else(|| login_first(visitor))
}

/// The page a mailed link opens: one button posting its token to `action` (mail scanners and
/// link previews follow links; only a person presses the button).
pub fn link_button(
    web: &Web,
    visitor: &Visitor,
    token: Option<&str>,
    action: &str,
    (title, button): (&str, &str),
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let mut context = tera::Context::new();
    context.insert("title", &catalogue.text(title));
    context.insert("button", &catalogue.text(button));
    context.insert("action", action);
    context.insert("token", token.unwrap_or_default());
    web.pages
        .render(visitor, StatusCode::OK, "link_button.html", context)
}

/// The logged-in visitor acting as `profile` (or their default profile); logged-out visitors
/// are sent to the login page and back.
pub async fn acting(
    web: &Web,
    visitor: &Visitor,
    profile: Option<String>,
) -> Result<Acting, Response> {
    let Some(session) = visitor.session.clone() else {
        return Err(login_first(visitor));
    };
    session
        .acting_as(&web.app, profile)
        .await
        .map_err(|error| web.pages.failure(visitor, &error))
}

/// A refusal for want of a role: the 403 page saying `who_may` (a catalogue key); any other
/// failure as usual.
pub fn forbidden(
    web: &crate::Web,
    visitor: &Visitor,
    error: &convene_api::Error,
    who_may: &str,
) -> Response {
    if error.class() != convene_api::Class::Forbidden {
        return web.pages.failure(visitor, error);
    }
    let catalogue = web.pages.catalogue(visitor);
    let mut response = web.pages.message(
        visitor,
        &catalogue.text("error_403_title"),
        &catalogue.text(who_may),
    );
    *response.status_mut() = axum::http::StatusCode::FORBIDDEN;
    response
}

/// A redirection to the login page, coming back here afterwards (to the page a form was on,
/// for a form: its action cannot be opened).
pub fn login_first(visitor: &Visitor) -> Response {
    let back = if visitor.reading {
        visitor.here.clone()
    } else {
        let path = visitor.here.split('?').next().unwrap_or("/");
        path.rsplit_once('/')
            .map_or("/", |(parent, _)| parent)
            .to_string()
    };
    let back = if back.is_empty() {
        "/".to_string()
    } else {
        back
    };
    see_other(visitor, &format!("/login?next={}", encode(&back)))
}

/// Acts on event `id` as the profile the form names, or else as the visitor's profile whose
/// participation there is `wanted` (the application's acting rule); logged-out visitors are
/// sent to the login page.
pub async fn acting_on(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    named: Option<&String>,
    wanted: fn(ParticipantState) -> bool,
) -> Result<Acting, Response> {
    let Some(session) = visitor.session.clone() else {
        return Err(login_first(visitor));
    };
    session
        .acting_on_event(&web.app, id, named.cloned(), wanted)
        .await
        .map_err(|error| web.pages.failure(visitor, &error))
}

/// How pages name the groups `handles`: "Repair café (@repair)", by handle (a group gone from
/// the read model is named by its handle alone).
pub async fn group_names(
    web: &Web,
    handles: &[String],
) -> Result<HashMap<String, String>, convene_api::Error> {
    let mut names = HashMap::new();
    for handle in handles {
        if names.contains_key(handle) {
            continue;
        }
        let name = match convene_api::groups::show(&web.app, handle).await {
            Ok(group) => format!("{} (@{handle})", group.details.display_name),
            Err(error) if error.class() == convene_api::Class::NotFound => format!("@{handle}"),
            Err(error) => return Err(error),
        };
        names.insert(handle.clone(), name);
    }
    Ok(names)
}

/// Event cards with their groups named and their organisers' avatars (an organiser on another
/// instance, or without an avatar, has none).
pub async fn fill_cards(
    web: &Web,
    cards: &mut [crate::view::EventCard],
) -> Result<(), convene_api::Error> {
    // Cards already named (the group's own page names its cards) are not looked up again.
    let handles: Vec<String> = cards
        .iter()
        .filter(|c| c.group_name.is_none())
        .filter_map(|c| c.group.clone())
        .collect();
    let names = group_names(web, &handles).await?;
    let local: Vec<&str> = cards
        .iter()
        .filter(|c| c.origin_host.is_none())
        .map(|c| c.organiser.as_str())
        .collect();
    let avatars = organiser_avatars(web, &local).await?;
    for card in cards {
        if card.group_name.is_none() {
            card.group_name = card.group.as_ref().map(|g| names[g].clone());
        }
        if card.origin_host.is_none() {
            card.organiser_avatar = avatars.get(&card.organiser).cloned().flatten();
        }
    }
    Ok(())
}

/// The small avatar of each local organiser among `usernames` (none for a profile without one,
/// or gone), each profile read once.
pub async fn organiser_avatars(
    web: &Web,
    usernames: &[&str],
) -> Result<HashMap<String, Option<crate::view::Picture>>, convene_api::Error> {
    let mut avatars = HashMap::new();
    for username in usernames {
        if avatars.contains_key(*username) {
            continue;
        }
        let avatar = match convene_api::profiles::find(&web.app, username).await {
            Ok(profile) => profile.avatar.as_ref().map(crate::view::small_avatar),
            Err(error) if error.class() == convene_api::Class::NotFound => None,
            Err(error) => return Err(error),
        };
        avatars.insert(username.to_string(), avatar);
    }
    Ok(avatars)
}

/// Percent-encodes a path for a query parameter.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths are followed after a login (never another host): one leading slash, no
/// backslash, no control character (browsers drop tabs and line breaks, so `/\t/evil.example`
/// would become `//evil.example`).
pub fn safe_next(next: &str) -> String {
    let mut chars = next.chars();
    let same_site = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if same_site {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/events/1"), "/events/1");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/x",
            "https://evil.example",
            "evil",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
