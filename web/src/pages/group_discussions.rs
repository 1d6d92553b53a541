//! A group's discussions: the list with the form to start one (`/@group/discussions`), and a
//! thread with its reply forms (`/@group/c/{id}`). Members only: the application refuses
//! everyone else (`convene_api::group_discussions`), and these pages show the refusal.

use super::groups::acting_in;
use super::{check_csrf, field, Fields};
use crate::i18n::Catalogue;
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::auth::Acting;
use convene_api::group_discussions::{
    self, DiscussionChange, EditedComment, NewComment, NewDiscussion,
};
use convene_api::{groups, Class, Error};
use convene_domain::group::MemberRole;
use convene_projections::group_discussions::DiscussionComment;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tera::Context;

fn field_messages(catalogue: &Catalogue, error: &Error) -> BTreeMap<String, String> {
    super::groups::messages_of(catalogue, error, "discussion")
}

/// What a refused form leaves on the page it is shown again on.
#[derive(Default)]
struct Refusal {
    status: Option<StatusCode>,
    problem: Option<String>,
    errors: BTreeMap<String, String>,
    values: HashMap<String, String>,
}

impl Refusal {
    fn of(catalogue: &Catalogue, error: &Error, form: &HashMap<String, String>) -> Self {
        let errors = field_messages(catalogue, error);
        Refusal {
            status: Some(status_of(error)),
            problem: errors
                .is_empty()
                .then(|| super::groups::said(catalogue, error)),
            errors,
            values: form.clone(),
        }
    }
}

pub async fn list(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    list_page(&web, &visitor, &handle, None, Refusal::default()).await
}

async fn list_page(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    named: Option<String>,
    refusal: Refusal,
) -> Response {
    let acting = match acting_in(web, visitor, handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let group = match groups::show(&web.app, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let found = match group_discussions::list(&web.app, &acting, handle, None).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("discussions", &found);
    context.insert("acting", &acting.profile);
    context.insert("problem", &refusal.problem);
    context.insert("errors", &refusal.errors);
    context.insert("values", &refusal.values);
    web.pages.render(
        visitor,
        refusal.status.unwrap_or(StatusCode::OK),
        "group_discussions.html",
        context,
    )
}

pub async fn start(
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
    let new = NewDiscussion {
        title: field(&form, "title"),
        body: field(&form, "body"),
    };
    match group_discussions::start(&web.app, &acting, &handle, new).await {
        Ok(thread) => see_other(&visitor, &format!("/@{handle}/c/{}", thread.discussion.id)),
        Err(error) if matches!(error.class(), Class::Invalid | Class::Conflict) => {
            let refusal = Refusal::of(web.pages.catalogue(&visitor), &error, &form);
            list_page(&web, &visitor, &handle, named, refusal).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// A comment and its replies (replies to replies too, in order, under the comment they
/// descend from), with what the visitor may do about each.
#[derive(Serialize)]
struct Branch {
    comment: Shown,
    replies: Vec<Shown>,
}

#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    comment: DiscussionComment,
    /// Its author as shown (`@name`, or another instance's member by its handle when known
    /// here), and where that name links.
    author_name: String,
    author_link: String,
    /// Written on another instance: its link leaves this one.
    remote: bool,
    when: String,
    deletable: bool,
    /// Only its author changes what it says.
    editable: bool,
}

/// The handles here of the other instances' members among `comments`' authors (by actor URL).
async fn remote_authors(
    web: &Web,
    comments: &[DiscussionComment],
) -> Result<HashMap<String, String>, convene_api::Error> {
    let mut found = HashMap::new();
    for comment in comments.iter().filter(|c| c.author.starts_with("http")) {
        if found.contains_key(&comment.author) {
            continue;
        }
        let pool = web.app.db.pool();
        let handle = convene_projections::domains::remote_handle(pool, &comment.author).await?;
        let shown = handle.map_or_else(|| comment.author.clone(), |h| format!("@{h}"));
        found.insert(comment.author.clone(), shown);
    }
    Ok(found)
}

fn branches(
    catalogue: &Catalogue,
    comments: Vec<DiscussionComment>,
    remote: &HashMap<String, String>,
    me: &str,
    moderator: bool,
) -> Vec<Branch> {
    let mut root_of: HashMap<String, String> = HashMap::new();
    let mut found: Vec<Branch> = Vec::new();
    for comment in comments {
        let root = comment
            .in_reply_to
            .as_ref()
            .and_then(|parent| root_of.get(parent).cloned());
        let root = root.unwrap_or_else(|| comment.id.clone());
        root_of.insert(comment.id.clone(), root.clone());
        let (author_name, author_link) = match remote.get(&comment.author) {
            Some(name) => (name.clone(), comment.author.clone()),
            None => (comment.author.clone(), format!("/{}", comment.author)),
        };
        let shown = Shown {
            remote: remote.contains_key(&comment.author),
            author_name,
            author_link,
            when: crate::view::stamp(catalogue, &comment.created_at, "UTC"),
            deletable: !comment.deleted && (moderator || comment.author == me),
            editable: !comment.deleted && comment.author == me,
            comment,
        };
        match found.iter_mut().find(|b| b.comment.comment.id == root) {
            Some(branch) if shown.comment.id != root => branch.replies.push(shown),
            _ => found.push(Branch {
                comment: shown,
                replies: Vec::new(),
            }),
        }
    }
    found
}

pub async fn show(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, id)): Path<(String, String)>,
) -> Response {
    let acting = match acting_in(&web, &visitor, &handle, None).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    thread_page(&web, &visitor, &handle, &id, &acting, Refusal::default()).await
}

async fn thread_page(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    id: &str,
    acting: &Acting,
    refusal: Refusal,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let group = match groups::show(&web.app, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let thread = match group_discussions::show(&web.app, acting, handle, id).await {
        Ok(thread) => thread,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let role = match groups::my_role(&web.app, acting, handle).await {
        Ok(role) => role,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let remote = match remote_authors(web, &thread.comments).await {
        Ok(remote) => remote,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let moderator = role.is_some_and(|r| r.at_least(MemberRole::Moderator));
    let me = format!("@{}", acting.profile);
    let manager = moderator || thread.discussion.author == me;
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("discussion", &thread.discussion);
    context.insert(
        "branches",
        &branches(catalogue, thread.comments, &remote, &me, moderator),
    );
    context.insert("manager", &manager);
    context.insert("acting", &acting.profile);
    context.insert("problem", &refusal.problem);
    context.insert("errors", &refusal.errors);
    context.insert("values", &refusal.values);
    web.pages.render(
        visitor,
        refusal.status.unwrap_or(StatusCode::OK),
        "group_discussion.html",
        context,
    )
}

/// Every form of a thread posts here, saying which with `action`: comment (or reply, with
/// `in_reply_to`), rename, archive, unarchive, delete, edit_comment or delete_comment.
pub async fn act(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, id)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_in(&web, &visitor, &handle, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let app = &web.app;
    let change =
        |title: Option<String>, archived: Option<bool>| DiscussionChange { title, archived };
    let done = match field(&form, "action").as_str() {
        "comment" => {
            let new = NewComment {
                body: field(&form, "body"),
                in_reply_to: Some(field(&form, "in_reply_to")).filter(|r| !r.is_empty()),
            };
            group_discussions::comment(app, &acting, &handle, &id, new)
                .await
                .map(drop)
        }
        "rename" => {
            let title = Some(field(&form, "title"));
            group_discussions::change(app, &acting, &handle, &id, change(title, None))
                .await
                .map(drop)
        }
        "archive" | "unarchive" => {
            let archived = Some(field(&form, "action") == "archive");
            group_discussions::change(app, &acting, &handle, &id, change(None, archived))
                .await
                .map(drop)
        }
        "delete" => {
            return match group_discussions::delete(app, &acting, &handle, &id).await {
                Ok(()) => see_other(&visitor, &format!("/@{handle}/discussions")),
                Err(error) => web.pages.failure(&visitor, &error),
            }
        }
        "edit_comment" => {
            let comment = field(&form, "comment");
            let edited = EditedComment {
                body: field(&form, "body"),
            };
            group_discussions::edit_comment(app, &acting, &handle, &id, &comment, edited)
                .await
                .map(drop)
        }
        "delete_comment" => {
            let comment = field(&form, "comment");
            group_discussions::delete_comment(app, &acting, &handle, &id, &comment)
                .await
                .map(drop)
        }
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match done {
        Ok(()) => see_other(&visitor, &format!("/@{handle}/c/{id}")),
        Err(error) if matches!(error.class(), Class::Invalid | Class::Conflict) => {
            let refusal = Refusal::of(web.pages.catalogue(&visitor), &error, &form);
            thread_page(&web, &visitor, &handle, &id, &acting, refusal).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
