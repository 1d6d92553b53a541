//! Another instance's group on this instance, at `/@name@host`: what its actor says of itself
//! (fetched afresh), the public events it sent here, a link to its own page, and for a signed-in
//! profile a Follow / Unfollow button (the `Follow` goes to the group, pending until it accepts)
//! and a Join (with a message for its moderators) / Leave one (the `Join` likewise), or the
//! answer to the group's invitation (Accept / Decline, also offered on "My groups"); for a
//! member, its role there and what the group shows its members (discussions, resources, todo
//! lists), asked of the group's instance with the member's signature, the todos it relayed here,
//! and forms writing in one of its discussions, working on its resources and on its todos.

use crate::view::card;
use crate::visitor::Visitor;
use crate::Web;
use convene_api::groups_elsewhere::{self as elsewhere};
use convene_domain::group::{MemberRole, ResourceContent, ResourceKind};
use convene_domain::profile::{FollowingState, MembershipState};
use convene_domain::validation::sanitise_html;
use std::collections::HashMap;
use tera::Context;

/// Whether a name in `/@…` or a search box is another instance's: `name@host`.
pub fn is_handle(given: &str) -> bool {
    let given = given.trim();
    let name = given.strip_prefix('@').unwrap_or(given);
    match name.split_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && !host.is_empty()
                && !host.contains(['@', '/'])
                && !given.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The group `handle` names, or the page saying why not: a 404 telling what its instance
/// answered.
async fn found(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
) -> Result<convene_api::remote_groups::FoundActor, axum::response::Response> {
    let session = visitor.session.as_ref();
    elsewhere::find(&web.app, session, &visitor.origin, "handle", handle)
        .await
        .map_err(|error| match &error {
            convene_api::Error::Invalid(errors) => {
                let catalogue = web.pages.catalogue(visitor);
                let reason = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>();
                let mut response = web.pages.message(
                    visitor,
                    &catalogue.text("error_404_title"),
                    &reason.join(" "),
                );
                *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
                response
            }
            _ => web.pages.failure(visitor, &error),
        })
}

/// A form refused: the fields as typed, and what to fix in them.
struct Refused {
    values: HashMap<String, String>,
    error: convene_api::Error,
}

/// The group's page here.
pub async fn page(web: &Web, visitor: &Visitor, handle: &str) -> axum::response::Response {
    if let Some(name) = elsewhere::local_name(&web.app, handle) {
        return crate::render::see_other(visitor, &format!("/@{name}"));
    }
    let group = match found(web, visitor, handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    shown(web, visitor, &group, None).await
}

/// The page of `group`, with a form's refusal when there is one (422, what was typed kept).
async fn shown(
    web: &Web,
    visitor: &Visitor,
    group: &convene_api::remote_groups::FoundActor,
    refused: Option<Refused>,
) -> axum::response::Response {
    let catalogue = web.pages.catalogue(visitor);
    let events = match elsewhere::events_of(&web.app, visitor.session.as_ref(), group).await {
        Ok(events) => events,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let mut cards: Vec<_> = events.iter().map(|e| card(catalogue, e)).collect();
    if let Err(error) = super::fill_cards(web, &mut cards).await {
        return web.pages.failure(visitor, &error);
    }
    let mut following = "none";
    let mut membership = "none";
    let mut acting_as = None;
    let mut for_members = None;
    let mut role = None;
    let mut invited_by = None;
    if let Some(session) = visitor.session.clone() {
        let acting = match session.acting_as(&web.app, None).await {
            Ok(acting) => acting,
            Err(error) => return web.pages.failure(visitor, &error),
        };
        following = match elsewhere::follow_of(&web.app, &acting, group).await {
            Ok(None) => "none",
            Ok(Some(FollowingState::Requested)) => "requested",
            Ok(Some(FollowingState::Accepted)) => "accepted",
            Err(error) => return web.pages.failure(visitor, &error),
        };
        let joined = match elsewhere::membership_of(&web.app, &acting, group).await {
            Ok(joined) => joined,
            Err(error) => return web.pages.failure(visitor, &error),
        };
        membership = match joined.as_ref().map(|m| m.state) {
            None => "none",
            Some(MembershipState::Requested) => "requested",
            Some(MembershipState::Invited) => "invited",
            Some(MembershipState::Accepted) => "member",
        };
        invited_by = joined.as_ref().and_then(|m| m.invited_by.clone());
        role = joined
            .and_then(|m| m.role)
            .filter(|r| r.at_least(MemberRole::Moderator));
        if membership == "member" {
            for_members = match elsewhere::for_members(&web.app, &acting, group).await {
                Ok(shown) => Some(shown),
                Err(error) => return web.pages.failure(visitor, &error),
            };
        }
        acting_as = Some(acting.profile);
    }
    let host = group.handle.rsplit_once('@').map_or("", |(_, host)| host);
    let mut context = Context::new();
    context.insert("handle", &group.handle);
    context.insert(
        "name",
        group.name.as_deref().unwrap_or(group.handle.as_str()),
    );
    context.insert("summary", &group.summary.as_deref().map(sanitise_html));
    context.insert("icon", &group.icon);
    context.insert("banner", &group.banner);
    context.insert(
        "members",
        &group
            .member_count
            .map(|n| catalogue.fill("group_members", &[("count", &n.to_string())])),
    );
    context.insert("origin", group.url.as_deref().unwrap_or(&group.id));
    context.insert(
        "view_on",
        &catalogue.fill("remote_group_view_on", &[("host", host)]),
    );
    context.insert("following", following);
    context.insert("membership", membership);
    context.insert("acting", &acting_as);
    let role = role.map(|role: MemberRole| {
        let name = catalogue.text(&format!("role_{}", role.as_str()));
        catalogue.fill("remote_group_role", &[("role", &name)])
    });
    context.insert("role", &role);
    context.insert("for_members", &for_members);
    context.insert(
        "invited",
        &invited_by.map(|by| catalogue.fill("remote_group_invited", &[("by", &by)])),
    );
    context.insert("events", &cards);
    let status = match &refused {
        Some(refused) => crate::render::status_of(&refused.error),
        None => axum::http::StatusCode::OK,
    };
    let errors = refused
        .as_ref()
        .map(|r| super::groups::messages_of(catalogue, &r.error, "group"))
        .unwrap_or_default();
    context.insert("errors", &errors);
    context.insert("values", &refused.map(|r| r.values).unwrap_or_default());
    web.pages
        .render(visitor, status, "remote_group.html", context)
}

/// The visitor's profile posting `form` (its CSRF token checked) and the group `handle` names.
async fn acting_on(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> Result<
    (
        convene_api::auth::Acting,
        convene_api::remote_groups::FoundActor,
    ),
    axum::response::Response,
> {
    super::check_csrf(web, visitor, form)?;
    let acting = super::acting(web, visitor, form.get("profile").cloned()).await?;
    let group = found(web, visitor, handle).await?;
    Ok((acting, group))
}

/// Follows the group (or stops following it, with `unfollow`) as the visitor's profile.
pub async fn follow(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let done = if form.contains_key("unfollow") {
        elsewhere::unfollow(&web.app, &acting, &group).await
    } else {
        elsewhere::follow(&web.app, &acting, &group).await
    };
    back_to(web, visitor, &group, done)
}

/// Back to `group`'s page once `done`, or the page saying why not.
fn back_to(
    web: &Web,
    visitor: &Visitor,
    group: &convene_api::remote_groups::FoundActor,
    done: Result<(), convene_api::Error>,
) -> axum::response::Response {
    match done {
        Ok(()) => crate::render::see_other(visitor, &format!("/@{}", group.handle)),
        Err(error) => web.pages.failure(visitor, &error),
    }
}

/// Back to `group`'s page once a form is `done`; refused on a field, the page again saying what
/// to fix, with what was `typed`.
async fn after_form(
    web: &Web,
    visitor: &Visitor,
    group: &convene_api::remote_groups::FoundActor,
    done: Result<(), convene_api::Error>,
    typed: HashMap<String, String>,
) -> axum::response::Response {
    match done {
        Err(error) if !error.field_errors().is_empty() => {
            let refused = Refused {
                values: typed,
                error,
            };
            shown(web, visitor, group, Some(refused)).await
        }
        done => back_to(web, visitor, group, done),
    }
}

/// Asks to join the group, with the form's `message` for its moderators (or leaves it, or
/// withdraws the request, with `leave`), as the visitor's profile.
pub async fn join(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
    leave: bool,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let message = super::field(form, "message");
    let done = if leave {
        elsewhere::leave(&web.app, &acting, &group).await
    } else {
        let given = Some(message.clone()).filter(|m| !m.trim().is_empty());
        elsewhere::join(&web.app, &acting, &group, given).await
    };
    let typed = HashMap::from([("message".to_string(), message)]);
    after_form(web, visitor, &group, done, typed).await
}

/// Writes the form's `body` in the group's `discussion` (its address) as the visitor's profile,
/// a member; back to the group's page, or the page again saying what to fix, the text kept.
pub async fn comment(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let discussion = super::field(form, "discussion");
    let body = form.get("body").cloned().unwrap_or_default();
    let done =
        elsewhere::comment_in_discussion(&web.app, &acting, &group, &discussion, &body).await;
    let typed = HashMap::from([
        ("discussion".to_string(), discussion),
        ("body".to_string(), body),
    ]);
    after_form(web, visitor, &group, done, typed).await
}

/// What the form says of the group's resources, as the visitor's profile, a member: adds its
/// link (`title`, `url`, `summary`) in its `folder` (none: the top); or, naming a `resource`,
/// deletes it (`delete`) or makes it say `title` and `url` (a folder's title alone) in `folder`
/// (where it is, or where it moves to). Back to the group's page, or the page again saying
/// what to fix, what was typed kept.
pub async fn resource_form(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed = typed_in(form, &["folder", "title", "url", "summary"]);
    let resource = super::field(form, "resource");
    let done = if resource.is_empty() {
        let mut link = ResourceContent::link(ResourceKind::Link, &typed["title"], &typed["url"]);
        link.summary = Some(typed["summary"].clone());
        let folder = Some(typed["folder"].as_str());
        elsewhere::add_link(&web.app, &acting, &group, folder, link).await
    } else if form.contains_key("delete") {
        elsewhere::delete_resource(&web.app, &acting, &group, &resource).await
    } else {
        let changed = match typed["url"].as_str() {
            "" => ResourceContent::folder(&typed["title"]),
            url => ResourceContent::link(ResourceKind::Link, &typed["title"], url),
        };
        let place = (resource.as_str(), Some(typed["folder"].as_str()));
        elsewhere::change_resource(&web.app, &acting, &group, place, changed).await
    };
    after_form(web, visitor, &group, done, typed).await
}

/// What the form says of the group's todos, as the visitor's profile, a member: adds a todo
/// titled `title` to its `list`; or, naming a `todo` the group relayed here, marks it done
/// (`done=1`) or not (`done=0`). Back to the group's page, or the page again saying what to
/// fix, the title kept.
pub async fn todo_form(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let todo = super::field(form, "todo");
    let typed = typed_in(form, &["list", "title"]);
    let done = if todo.is_empty() {
        elsewhere::add_todo(&web.app, &acting, &group, &typed["list"], &typed["title"]).await
    } else {
        let done = super::field(form, "done") == "1";
        elsewhere::mark_todo(&web.app, &acting, &group, &todo, done).await
    };
    after_form(web, visitor, &group, done, typed).await
}

/// The form's fields `names`, as typed (kept when the form is refused).
fn typed_in(form: &HashMap<String, String>, names: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .map(|name| (name.to_string(), super::field(form, name)))
        .collect()
}

/// Accepts (`answer=accept`) or declines the group's invitation as the profile the form names;
/// back to the group's page.
pub async fn answer_invitation(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    form: &HashMap<String, String>,
) -> axum::response::Response {
    let (acting, group) = match acting_on(web, visitor, handle, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let accept = match super::field(form, "answer").as_str() {
        "accept" => true,
        "decline" => false,
        _ => return web.pages.error(visitor, axum::http::StatusCode::NOT_FOUND),
    };
    let done = elsewhere::answer_invitation(&web.app, &acting, &group, accept).await;
    back_to(web, visitor, &group, done)
}

#[cfg(test)]
mod tests {
    use super::is_handle;

    #[test]
    fn a_handle_names_a_host() {
        for handle in [
            "club@other.example",
            "@club@other.example",
            "@club@127.0.0.1:8081",
        ] {
            assert!(is_handle(handle), "{handle}");
        }
        for other in [
            "club",
            "@club",
            "club@",
            "@@x",
            "club@a/b",
            "a@b@c",
            "climate march",
        ] {
            assert!(!is_handle(other), "{other}");
        }
    }
}
