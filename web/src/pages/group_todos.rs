//! A group's todo lists (`/@group/todos`), for its members: the lists with their todos, a form
//! to make a list, one to add a todo to each list (title, due date, assignee among the
//! members), and a button to mark each todo done or not. A refused form is shown again with the
//! field named and the values kept.

use super::groups::acting_in;
use super::{check_csrf, field, Fields};
use crate::i18n::Catalogue;
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::group_todos::{self, NewTodoList, TodoInput};
use convene_api::{groups, Class, Error};
use std::collections::{BTreeMap, HashMap};
use tera::Context;

fn field_messages(catalogue: &Catalogue, error: &Error) -> BTreeMap<String, String> {
    super::groups::messages_of(catalogue, error, "todo")
}

pub async fn page(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    render(&web, &visitor, &handle, None, None, HashMap::new()).await
}

async fn render(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    named: Option<String>,
    refused: Option<&Error>,
    values: HashMap<String, String>,
) -> Response {
    let acting = match acting_in(web, visitor, handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let group = match groups::show(&web.app, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let lists = match group_todos::lists(&web.app, &acting, handle).await {
        Ok(lists) => lists,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let members = match groups::members(&web.app, &acting, handle).await {
        Ok(found) => found
            .into_iter()
            .filter(|m| m.role.is_member())
            .filter_map(|m| m.profile)
            .collect::<Vec<_>>(),
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let catalogue = web.pages.catalogue(visitor);
    let errors = refused
        .map(|e| field_messages(catalogue, e))
        .unwrap_or_default();
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("lists", &lists);
    context.insert("members", &members);
    context.insert("acting", &acting.profile);
    context.insert("errors", &errors);
    context.insert("values", &values);
    let status = refused.map_or(StatusCode::OK, status_of);
    web.pages
        .render(visitor, status, "group_todos.html", context)
}

/// Every form of the page posts here, saying which with `action`: list, add, toggle, delete (a
/// todo) or delete_list.
pub async fn act(
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
    let app = &web.app;
    let input = || TodoInput {
        title: field(&form, "title"),
        due_on: Some(field(&form, "due_on")).filter(|d| !d.is_empty()),
        assignee: Some(field(&form, "assignee")).filter(|a| !a.is_empty()),
        done: form.contains_key("done"),
    };
    let done = match field(&form, "action").as_str() {
        "list" => {
            let new = NewTodoList {
                title: field(&form, "title"),
            };
            group_todos::create_list(app, &acting, &handle, new)
                .await
                .map(drop)
        }
        "add" => {
            let list = field(&form, "list");
            group_todos::add(app, &acting, &handle, &list, input())
                .await
                .map(drop)
        }
        "toggle" => {
            let todo = field(&form, "todo");
            group_todos::update(app, &acting, &handle, &todo, input())
                .await
                .map(drop)
        }
        "delete" => group_todos::delete(app, &acting, &handle, &field(&form, "todo")).await,
        "delete_list" => {
            group_todos::delete_list(app, &acting, &handle, &field(&form, "list")).await
        }
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match done {
        Ok(()) => see_other(&visitor, &format!("/@{handle}/todos")),
        Err(error) if error.class() == Class::Invalid => {
            render(&web, &visitor, &handle, named, Some(&error), form).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
