//! A group's pages beyond its front page: creating a group, its settings, the administration of
//! its members, its timeline, and "my groups" with the invitations to answer. Every decision is
//! the application's (`convene_api::groups`); these pages ask, then show the answer or the form
//! again with what to fix.

use super::{acting, check_csrf, field, login_first, Fields};
use crate::i18n::Catalogue;
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::auth::Acting;
use convene_api::groups::{self, Decision, Invitation, NewGroup, RoleChange};
use convene_api::groups_elsewhere;
use convene_api::{Class, Error};
use convene_domain::group::{GroupDetails, GroupPatch, GroupVisibility, MemberRole, Openness};
use convene_domain::picture::GroupPicture;
use convene_domain::profile::MembershipState;
use convene_domain::FieldError;
use convene_projections::groups::Kind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use tera::Context;

/// A refusal said in the visitor's language: groups say some rules in words of their own
/// (`group_problem_<rule>`), others as every page does (`problem_<rule>`), else as the
/// application wrote it.
pub(super) fn said(catalogue: &Catalogue, error: &Error) -> String {
    let rule = error.rule().replace('-', "_");
    catalogue
        .t
        .get(&format!("group_problem_{rule}"))
        .or_else(|| catalogue.t.get(&format!("problem_{rule}")))
        .cloned()
        .unwrap_or_else(|| error.detail())
}

/// Each field at fault with what to fix, in the visitor's language (`err_group_<field>_taken`
/// for a value someone else holds, `err_group_<field>`, else `err_<field>`, else the
/// application's words).
fn field_messages(catalogue: &Catalogue, error: &Error) -> BTreeMap<String, String> {
    messages_of(catalogue, error, "group")
}

/// [`field_messages`] for the forms of one kind of thing: `err_<kind>_<field>_taken`,
/// `err_<kind>_<field>`, `err_<field>`, else the application's words.
pub(super) fn messages_of(
    catalogue: &Catalogue,
    error: &Error,
    kind: &str,
) -> BTreeMap<String, String> {
    let taken = error.class() == Class::Conflict;
    error
        .field_errors()
        .iter()
        .map(|e| {
            let name = e.field.split(['.', '[']).next().unwrap_or_default();
            let text = taken
                .then(|| catalogue.t.get(&format!("err_{kind}_{name}_taken")))
                .flatten()
                .or_else(|| catalogue.t.get(&format!("err_{kind}_{name}")))
                .or_else(|| catalogue.t.get(&format!("err_{name}")))
                .cloned()
                .unwrap_or_else(|| e.message.clone());
            (name.to_string(), text)
        })
        .collect()
}

pub(super) fn choice<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

fn word<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The visitor's account acting in group `handle` (as the profile the form names, or its
/// profile with the highest role there); logged-out visitors go to the login page.
pub(super) async fn acting_in(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    named: Option<String>,
) -> Result<Acting, Response> {
    let Some(session) = visitor.session.clone() else {
        return Err(login_first(visitor));
    };
    groups::acting_in(&web.app, session, handle, named)
        .await
        .map_err(|error| web.pages.failure(visitor, &error))
}

// The group form: creating a group, and its settings.

/// The settings a form describes: choices that are not on the list are named.
struct Settings {
    display_name: String,
    summary: String,
    visibility: Option<GroupVisibility>,
    openness: Option<Openness>,
    manually_approves_followers: bool,
}

fn settings_from(form: &HashMap<String, String>) -> Result<Settings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let visibility = choice::<GroupVisibility>(&field(form, "visibility"));
    let openness = choice::<Openness>(&field(form, "openness"));
    for (name, known) in [
        ("visibility", visibility.is_some()),
        ("openness", openness.is_some()),
    ] {
        if !known {
            errors.push(FieldError {
                field: name.into(),
                message: format!("choose a {name} from the list"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Settings {
        display_name: field(form, "display_name"),
        summary: form.get("summary").cloned().unwrap_or_default(),
        visibility,
        openness,
        manually_approves_followers: form.contains_key("manually_approves_followers"),
    })
}

pub(super) fn values_of(handle: &str, details: &GroupDetails) -> HashMap<String, String> {
    let mut values = HashMap::from([
        ("handle".to_string(), handle.to_string()),
        ("display_name".to_string(), details.display_name.clone()),
        ("summary".to_string(), details.summary.clone()),
        ("visibility".to_string(), word(details.visibility)),
        ("openness".to_string(), word(details.openness)),
    ]);
    if details.manually_approves_followers {
        values.insert("manually_approves_followers".into(), "on".into());
    }
    values
}

/// The form to create a group (`editing` none) or change group `editing`'s settings.
fn form_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    editing: Option<&str>,
    values: &HashMap<String, String>,
    refused: Option<&Error>,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let errors = refused
        .map(|error| field_messages(catalogue, error))
        .unwrap_or_default();
    with_pictures(web, visitor, status, editing, values, errors, None)
}

/// One of the group's pictures on its settings page: what it shows now and its form.
#[derive(Serialize)]
pub(super) struct PictureSlot {
    /// `avatar` or `banner`: the form's address and its fields' ids.
    name: &'static str,
    title: String,
    file_label: String,
    hint: String,
    save: String,
    remove: String,
    shown: Option<crate::view::Picture>,
    /// The alternative text in the form: what was sent, else what is shown.
    alt: String,
    file_error: Option<String>,
    alt_error: Option<String>,
}

/// The avatar and banner forms of `group`'s settings page; `sent` is the alternative text a
/// refused form sent for `slot`.
pub(super) fn picture_slots(
    web: &Web,
    catalogue: &Catalogue,
    group: &convene_projections::groups::GroupView,
    sent: Option<(GroupPicture, String)>,
    errors: &BTreeMap<String, String>,
) -> Vec<PictureSlot> {
    [
        (GroupPicture::Avatar, group.avatar.as_ref()),
        (GroupPicture::Banner, group.banner.as_ref()),
    ]
    .into_iter()
    .map(|(slot, shown)| {
        let name = slot.as_str();
        let limit = web.app.config.pictures.limit(slot.purpose());
        let alt = match &sent {
            Some((sent_slot, alt)) if *sent_slot == slot => alt.clone(),
            _ => shown.map(|p| p.alt.clone()).unwrap_or_default(),
        };
        PictureSlot {
            name,
            title: catalogue.text(&format!("group_{name}")),
            file_label: catalogue.text(&format!("group_{name}_file")),
            hint: catalogue.fill(
                "avatar_file_hint",
                &[("limit", &super::pictures::size(catalogue, limit))],
            ),
            save: catalogue.text(&format!("group_{name}_save")),
            remove: catalogue.text(&format!("group_{name}_remove")),
            shown: shown.map(crate::view::picture),
            alt,
            file_error: errors.get(&format!("{name}-file")).cloned(),
            alt_error: errors.get(&format!("{name}-alt")).cloned(),
        }
    })
    .collect()
}

/// The group form with, when it is a group's settings, the forms of its pictures.
pub(super) fn with_pictures(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    editing: Option<&str>,
    values: &HashMap<String, String>,
    errors: BTreeMap<String, String>,
    pictures: Option<Vec<PictureSlot>>,
) -> Response {
    let mut context = Context::new();
    context.insert("pictures", &pictures);
    context.insert("values", values);
    context.insert("errors", &errors);
    context.insert("editing", &editing);
    web.pages
        .render(visitor, status, "group_form.html", context)
}

/// A page refusing group creation to someone the instance does not allow.
fn creation_kept_to_admins(web: &Web, visitor: &Visitor) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let mut response = web.pages.message(
        visitor,
        &catalogue.text("new_group_title"),
        &catalogue.text("group_creation_admins"),
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

pub async fn new_form(State(web): State<Web>, visitor: Visitor) -> Response {
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    if !groups::may_create(&web.app, &session.account) {
        return creation_kept_to_admins(&web, &visitor);
    }
    let values = values_of("", &GroupDetails::named(""));
    form_page(&web, &visitor, StatusCode::OK, None, &values, None)
}

pub async fn create(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting(&web, &visitor, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let refused =
        |error: Error| form_page(&web, &visitor, status_of(&error), None, &form, Some(&error));
    let settings = match settings_from(&form) {
        Ok(settings) => settings,
        Err(errors) => return refused(Error::Invalid(errors)),
    };
    let new = NewGroup {
        handle: field(&form, "handle"),
        display_name: Some(settings.display_name).filter(|d| !d.is_empty()),
        summary: Some(settings.summary),
        address: None,
        visibility: settings.visibility,
        openness: settings.openness,
        manually_approves_followers: Some(settings.manually_approves_followers),
    };
    match groups::create(&web.app, &acting, new).await {
        Ok(group) => see_other(&visitor, &format!("/@{}", group.handle)),
        Err(error) if error.class() == Class::Forbidden => creation_kept_to_admins(&web, &visitor),
        Err(error) if !error.field_errors().is_empty() => refused(error),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn settings_form(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    let acting = match acting_in(&web, &visitor, &handle, None).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match groups::settings_of(&web.app, &acting, &handle).await {
        Ok(group) => {
            let mut values = values_of(&group.handle, &group.details);
            values.insert("profile".into(), acting.profile);
            let catalogue = web.pages.catalogue(&visitor);
            let errors = BTreeMap::new();
            let pictures = picture_slots(&web, catalogue, &group, None, &errors);
            let status = StatusCode::OK;
            with_pictures(
                &web,
                &visitor,
                status,
                Some(&handle),
                &values,
                errors,
                Some(pictures),
            )
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn save_settings(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(mut form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_in(&web, &visitor, &handle, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    form.insert("handle".into(), handle.clone());
    let refused = |error: Error| {
        form_page(
            &web,
            &visitor,
            status_of(&error),
            Some(&handle),
            &form,
            Some(&error),
        )
    };
    let settings = match settings_from(&form) {
        Ok(settings) => settings,
        Err(errors) => return refused(Error::Invalid(errors)),
    };
    let current = match groups::settings_of(&web.app, &acting, &handle).await {
        Ok(group) => group.details,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    // Only what changed, so that the timeline says what did.
    fn changed<T: PartialEq>(new: T, old: &T) -> Option<T> {
        (new != *old).then_some(new)
    }
    let patch = GroupPatch {
        display_name: changed(settings.display_name, &current.display_name),
        summary: changed(settings.summary, &current.summary),
        address: None,
        visibility: settings.visibility.filter(|v| *v != current.visibility),
        openness: settings.openness.filter(|o| *o != current.openness),
        manually_approves_followers: changed(
            settings.manually_approves_followers,
            &current.manually_approves_followers,
        ),
    };
    match groups::update(&web.app, &acting, &handle, patch).await {
        Ok(_) => see_other(&visitor, &format!("/@{handle}")),
        Err(error) if !error.field_errors().is_empty() => refused(error),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

// Members.

/// One membership on the members page, with what the visitor may do about it.
#[derive(Serialize)]
struct MemberRow {
    who: String,
    username: Option<String>,
    /// How the forms name them: a profile's username, or a remote person's URL.
    name: String,
    role: String,
    role_label: String,
    message: Option<String>,
    /// A request waiting for an answer.
    request: bool,
    removable: bool,
    /// The roles the visitor may give (administrators only, up to their own).
    roles: Vec<(String, String)>,
}

/// What a refused members form leaves on the page.
#[derive(Default)]
struct Refusal {
    status: Option<StatusCode>,
    problem: Option<String>,
    errors: BTreeMap<String, String>,
    invite: String,
}

pub async fn members(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    members_page(&web, &visitor, &handle, None, Refusal::default()).await
}

async fn members_page(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    named: Option<String>,
    refusal: Refusal,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let acting = match acting_in(web, visitor, handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let group = match groups::show(&web.app, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    // Only members see the list: the use case refuses the others.
    let listed = match groups::members(&web.app, &acting, handle).await {
        Ok(listed) => listed,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let own = match groups::my_role(&web.app, &acting, handle).await {
        Ok(role) => role.unwrap_or(MemberRole::Rejected),
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let staff = own.at_least(MemberRole::Moderator);
    let admin = own.at_least(MemberRole::Administrator);
    let assignable: Vec<MemberRole> = [
        MemberRole::Member,
        MemberRole::Moderator,
        MemberRole::Administrator,
    ]
    .into_iter()
    .filter(|r| r.rank() <= own.rank())
    .collect();
    let rows: Vec<MemberRow> = listed
        .into_iter()
        .map(|m| {
            let within = m.role.rank() <= own.rank();
            MemberRow {
                request: staff && m.role == MemberRole::NotApproved,
                removable: staff && within && m.role != MemberRole::Rejected,
                roles: if admin && within && m.role.is_member() {
                    assignable
                        .iter()
                        .map(|r| (r.as_str().to_string(), role_label(catalogue, *r)))
                        .collect()
                } else {
                    Vec::new()
                },
                role: m.role.as_str().to_string(),
                role_label: role_label(catalogue, m.role),
                name: m.profile.clone().unwrap_or_else(|| m.member.clone()),
                who: m.member,
                username: m.profile,
                message: m.message,
            }
        })
        .collect();
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("rows", &rows);
    context.insert("staff", &staff);
    context.insert("admin", &admin);
    context.insert("acting", &acting.profile);
    context.insert("problem", &refusal.problem);
    context.insert("errors", &refusal.errors);
    context.insert("invite", &refusal.invite);
    web.pages.render(
        visitor,
        refusal.status.unwrap_or(StatusCode::OK),
        "group_members.html",
        context,
    )
}

fn role_label(catalogue: &Catalogue, role: MemberRole) -> String {
    catalogue.text(&format!("role_{}", role.as_str()))
}

/// Every form of the members page posts here, saying which with `action`: invite, approve,
/// reject, remove or role. Back to the members page, or the page again saying what was refused.
pub async fn act_on_members(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let named = form.get("profile").cloned();
    let acting = match acting_in(&web, &visitor, &handle, named.clone()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let username = field(&form, "username");
    let decision = || Decision {
        reason: Some(field(&form, "reason")).filter(|r| !r.is_empty()),
    };
    let app = &web.app;
    let done = match field(&form, "action").as_str() {
        "invite" => {
            let invitation = Invitation {
                username: username.clone(),
            };
            groups::invite(app, &acting, &handle, invitation)
                .await
                .map(drop)
        }
        "approve" => groups::approve(app, &acting, &handle, &username, decision())
            .await
            .map(drop),
        "reject" => groups::reject(app, &acting, &handle, &username, decision())
            .await
            .map(drop),
        "remove" => groups::remove(app, &acting, &handle, &username, decision()).await,
        "role" => match choice::<MemberRole>(&field(&form, "role")) {
            Some(role) => {
                let change = RoleChange {
                    role,
                    reason: decision().reason,
                };
                groups::change_role(app, &acting, &handle, &username, change)
                    .await
                    .map(drop)
            }
            None => Err(Error::invalid_field("role", "choose a role from the list")),
        },
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    let error = match done {
        Ok(()) => return see_other(&visitor, &format!("/@{handle}/members")),
        Err(error) => error,
    };
    if matches!(error.class(), Class::Internal | Class::Unavailable) {
        return web.pages.failure(&visitor, &error);
    }
    let catalogue = web.pages.catalogue(&visitor);
    let mut errors = field_messages(catalogue, &error);
    // Another instance's actor, by URL or handle: why it cannot be invited is the application's
    // to say (not found there, a suspended domain…), not "no profile here".
    if groups::invites_elsewhere(&web.app, &username) {
        for e in error.field_errors() {
            errors.insert(e.field.clone(), e.message.clone());
        }
    }
    let refusal = Refusal {
        status: Some(status_of(&error)),
        problem: errors.is_empty().then(|| said(catalogue, &error)),
        errors,
        invite: if field(&form, "action") == "invite" {
            username
        } else {
            String::new()
        },
    };
    members_page(&web, &visitor, &handle, named, refusal).await
}

// My groups.

#[derive(Serialize)]
struct Mine {
    handle: String,
    name: String,
    /// The visitor's profile holding this membership.
    profile: String,
    role_label: String,
}

pub async fn my_groups(State(web): State<Web>, visitor: Visitor) -> Response {
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    let catalogue = web.pages.catalogue(&visitor);
    let mut lists: BTreeMap<&str, Vec<Mine>> = BTreeMap::new();
    // Each of the account's own profiles, each shown to the account only.
    for profile in &visitor.profiles {
        let acting = match session
            .clone()
            .acting_as(&web.app, Some(profile.username.clone()))
            .await
        {
            Ok(acting) => acting,
            Err(error) => return web.pages.failure(&visitor, &error),
        };
        let memberships = match groups::my_groups(&web.app, &acting).await {
            Ok(memberships) => memberships,
            Err(error) => return web.pages.failure(&visitor, &error),
        };
        for membership in memberships {
            let list = match membership.role {
                MemberRole::Invited => "invited",
                MemberRole::NotApproved => "asked",
                role if role.is_member() => "member",
                _ => continue,
            };
            let name = match groups::show(&web.app, &membership.group).await {
                Ok(group) => group.details.display_name,
                Err(error) if error.class() == Class::NotFound => continue,
                Err(error) => return web.pages.failure(&visitor, &error),
            };
            lists.entry(list).or_default().push(Mine {
                role_label: role_label(catalogue, membership.role),
                handle: membership.group,
                name,
                profile: profile.username.clone(),
            });
        }
        // Other instances' groups, by the handle their page here has.
        let elsewhere = match groups_elsewhere::mine(&web.app, &acting).await {
            Ok(elsewhere) => elsewhere,
            Err(error) => return web.pages.failure(&visitor, &error),
        };
        for group in elsewhere {
            let Some(handle) = group.handle else { continue };
            let (list, role) = match group.membership.state {
                MembershipState::Invited => ("invited", MemberRole::Invited),
                MembershipState::Requested => ("asked", MemberRole::NotApproved),
                MembershipState::Accepted => (
                    "member",
                    group.membership.role.unwrap_or(MemberRole::Member),
                ),
            };
            lists.entry(list).or_default().push(Mine {
                role_label: role_label(catalogue, role),
                name: group.name.unwrap_or_else(|| handle.clone()),
                handle,
                profile: profile.username.clone(),
            });
        }
    }
    let mut context = Context::new();
    for list in ["invited", "asked", "member"] {
        context.insert(list, &lists.remove(list).unwrap_or_default());
    }
    context.insert(
        "may_create",
        &groups::may_create(&web.app, &session.account),
    );
    web.pages
        .render(&visitor, StatusCode::OK, "my_groups.html", context)
}

/// Accepts (`answer=accept`) or declines an invitation as the profile the form names.
pub async fn answer_invitation(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if super::remote_group::is_handle(&handle) {
        return super::remote_group::answer_invitation(&web, &visitor, &handle, &form).await;
    }
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting(&web, &visitor, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let done = match field(&form, "answer").as_str() {
        "accept" => groups::accept_invitation(&web.app, &acting, &handle)
            .await
            .map(drop),
        "decline" => groups::decline_invitation(&web.app, &acting, &handle).await,
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match done {
        Ok(()) => see_other(&visitor, "/my/groups"),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

// The timeline.

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
}

#[derive(Serialize)]
struct Line {
    when: String,
    when_iso: String,
    text: String,
    /// The event an entry is about, with its title.
    event: Option<(String, String)>,
    /// The post an entry is about: its slug and title.
    post: Option<(String, String)>,
    /// The discussion an entry is about, with its title when it began (members only).
    discussion: Option<(String, String)>,
    /// The title of the todo an entry is about, as it was then (members only).
    todo: Option<String>,
}

pub async fn timeline(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, convene_api::events::PAGE_MAX);
    let session = visitor.session.as_ref();
    let groups::TimelinePage {
        group,
        entries,
        events,
        posts,
    } = match groups::timeline_with_subjects(&web.app, session, &handle, Some(page)).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let full = entries.len() as i64 >= groups::TIMELINE_PAGE;
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut event = None;
        let mut post = None;
        if entry.kind == Kind::PostPublished {
            // Likewise the posts the visitor may read.
            let id = entry.subject.clone().unwrap_or_default();
            match posts.get(&id) {
                Some(found) => post = Some((found.slug.clone(), found.title.clone())),
                None => continue,
            }
        }
        if entry.kind == Kind::EventOrganised {
            // The use case kept only the events the visitor may see, and read them at once.
            let id = entry.subject.clone().unwrap_or_default();
            match events.get(&id) {
                Some(found) => event = Some((found.id.clone(), found.details.title.clone())),
                None => continue,
            }
        }
        let detail = match entry.kind {
            Kind::RoleChanged | Kind::MemberJoined => entry
                .detail
                .as_deref()
                .and_then(choice::<MemberRole>)
                .map(|r| role_label(catalogue, r)),
            Kind::SettingsChanged => entry.detail.as_deref().map(|fields| {
                fields
                    .split(',')
                    .map(|f| catalogue.text(&format!("group_field_{}", f.trim())))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            _ => entry.detail.clone(),
        }
        .unwrap_or_default();
        let text = catalogue.fill(
            &format!("timeline_{}", entry.kind.as_str()),
            &[
                ("actor", &entry.actor),
                ("subject", entry.subject.as_deref().unwrap_or_default()),
                ("detail", &detail),
            ],
        );
        lines.push(Line {
            when: crate::view::stamp(catalogue, &entry.at, "UTC"),
            when_iso: entry.at,
            discussion: (entry.kind == Kind::DiscussionStarted).then(|| {
                (
                    entry.subject.clone().unwrap_or_default(),
                    entry.detail.clone().unwrap_or_default(),
                )
            }),
            todo: matches!(entry.kind, Kind::TodoCompleted | Kind::TodoReopened)
                .then(|| entry.detail.clone().unwrap_or_default()),
            text,
            event,
            post,
        });
    }
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("lines", &lines);
    context.insert("previous", &(page > 1).then(|| page - 1));
    context.insert("next", &full.then(|| page + 1));
    web.pages
        .render(&visitor, StatusCode::OK, "group_timeline.html", context)
}

/// All of a group's events as the visitor may see them, soonest first, a page at a time.
pub async fn events(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, convene_api::events::PAGE_MAX);
    let group = match groups::show(&web.app, &handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let session = visitor.session.as_ref();
    let found = match groups::events_of(&web.app, session, &handle, Some(page)).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    // A page may hold fewer than a full page when some events are not for the visitor; one
    // holding none ends the list.
    let more = !found.is_empty();
    let mut cards: Vec<_> = found
        .iter()
        .map(|e| crate::view::card(catalogue, e))
        .collect();
    if let Err(error) = super::fill_cards(&web, &mut cards).await {
        return web.pages.failure(&visitor, &error);
    }
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("events", &cards);
    context.insert("previous", &(page > 1).then(|| page - 1));
    context.insert("next", &more.then(|| page + 1));
    web.pages
        .render(&visitor, StatusCode::OK, "group_events.html", context)
}
