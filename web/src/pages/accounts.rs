//! Registering, confirming the address, logging in and out, choosing the language.

use super::{check_csrf, field, link_button, safe_next, Fields};
use crate::render::see_other;
use crate::visitor::{set_cookie, Visitor, LANG_COOKIE, SESSION_COOKIE};
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use convene_api::accounts::{
    self, complete_reset, confirm_email as confirm, confirm_email_change as change_confirmed,
    open_session, request_reset, Credentials, Registration, ResetCompletion, Signup,
};
use convene_api::Error;
use convene_domain::account::AccountError;
use convene_domain::{FieldError, ProfileError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use tera::Context;

/// How long a login lasts.
const SESSION_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct Next {
    pub next: Option<String>,
    pub token: Option<String>,
}

pub(crate) fn form(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    notice: Option<String>,
) -> Response {
    let filled = Filled {
        status,
        values,
        errors,
        notice,
    };
    form_with(web, visitor, template, filled, Context::new())
}

/// A form as it is shown again: its status, the values sent, the errors and a notice.
pub(crate) struct Filled<'a> {
    pub status: StatusCode,
    pub values: &'a HashMap<String, String>,
    pub errors: &'a [FieldError],
    pub notice: Option<String>,
}

/// Like [`form`], with more in the page's `context`.
pub(crate) fn form_with(
    web: &Web,
    visitor: &Visitor,
    template: &str,
    filled: Filled<'_>,
    mut context: Context,
) -> Response {
    let Filled {
        status,
        values,
        errors,
        notice,
    } = filled;
    let catalogue = web.pages.catalogue(visitor);
    let messages: BTreeMap<String, String> = errors
        .iter()
        .map(|e| {
            let text = catalogue
                .t
                .get(&format!("err_{}", e.field))
                .cloned()
                .unwrap_or_else(|| e.message.clone());
            (e.field.clone(), text)
        })
        .collect();
    let mut values = values.clone();
    values.remove("password");
    values.remove("_csrf");
    context.insert("values", &values);
    context.insert("errors", &messages);
    context.insert("notice", &notice);
    web.pages.render(visitor, status, template, context)
}

pub async fn login_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(next): Query<Next>,
) -> Response {
    let mut values = HashMap::new();
    values.insert(
        "next".to_string(),
        safe_next(next.next.as_deref().unwrap_or("/")),
    );
    form(
        &web,
        &visitor,
        StatusCode::OK,
        "login.html",
        &values,
        &[],
        None,
    )
}

pub async fn login(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    let credentials = Credentials {
        email: field(&values, "email"),
        password: values.get("password").cloned().unwrap_or_default(),
    };
    match open_session(&web.app, credentials, &visitor.origin).await {
        Ok((token, _)) => {
            let mut response = see_other(&visitor, &safe_next(&field(&values, "next")));
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &token,
                    Some(SESSION_DAYS * 86_400),
                    visitor.secure(),
                ),
            );
            response
        }
        Err(error) => {
            let notice = match &error {
                Error::Unauthenticated(_) => catalogue.text("wrong_credentials"),
                Error::Account(AccountError::Disabled) => catalogue.text("disabled"),
                Error::Account(AccountError::Unconfirmed) => catalogue.text("unconfirmed"),
                _ => return web.pages.failure(&visitor, &error),
            };
            form(
                &web,
                &visitor,
                crate::render::status_of(&error),
                "login.html",
                &values,
                &[],
                Some(notice),
            )
        }
    }
}

pub async fn logout(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    if let Some(session) = &visitor.session {
        if let Err(error) = accounts::close_session(&web.app, session).await {
            return web.pages.failure(&visitor, &error);
        }
    }
    let mut response = see_other(&visitor, "/");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), visitor.secure()),
    );
    response
}

pub async fn register_form(State(web): State<Web>, visitor: Visitor) -> Response {
    let mut values = HashMap::new();
    values.insert("locale".to_string(), visitor.lang.clone());
    register_page(&web, &visitor, StatusCode::OK, &values, &[]).await
}

/// The registration form, asking why when a moderator approves each account.
async fn register_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let registrations = match convene_api::instance::settings(&web.app).await {
        Ok(settings) => settings.registrations,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let mut context = Context::new();
    context.insert("registrations", registrations.as_str());
    let filled = Filled {
        status,
        values,
        errors,
        notice: None,
    };
    form_with(web, visitor, "register.html", filled, context)
}

pub async fn register(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    let signup = Signup {
        registration: Registration {
            email: field(&values, "email"),
            password: values.get("password").cloned().unwrap_or_default(),
            locale: field(&values, "locale"),
            reason: values.get("reason").cloned(),
        },
        username: field(&values, "username"),
    };
    let base = format!("{}/confirm-email", web.app.config.public_url);
    match accounts::sign_up(&web.app, signup, &visitor.origin, &base).await {
        Ok(account) => {
            let done = if account.awaiting_approval {
                "register_done_approval"
            } else {
                "register_done"
            };
            let text = catalogue.fill(done, &[("email", &account.email)]);
            web.pages
                .message(&visitor, &catalogue.text("register_done_title"), &text)
        }
        // A taken username has a message of its own.
        Err(Error::Profile(ProfileError::UsernameTaken(_))) => {
            let taken = FieldError {
                field: "username_taken".into(),
                message: String::new(),
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            register_page(&web, &visitor, status, &values, &[taken]).await
        }
        Err(error) if !error.field_errors().is_empty() => {
            let status = crate::render::status_of(&error);
            register_page(&web, &visitor, status, &values, &error.field_errors()).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// The link mailed at registration: a button that confirms.
pub async fn confirm_email_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<Next>,
) -> Response {
    let labels = ("confirm_email_ask", "confirm_email_button");
    link_button(
        &web,
        &visitor,
        query.token.as_deref(),
        "/confirm-email",
        labels,
    )
}

pub async fn confirm_email(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match confirm(&web.app, &visitor.origin, &field(&values, "token")).await {
        Ok(_) => web.pages.message(
            &visitor,
            &catalogue.text("confirm_done_title"),
            &catalogue.text("confirm_done"),
        ),
        Err(error) => web.pages.link_failure(&visitor, &error),
    }
}

/// Switches the language (a preference cookie), then goes back.
pub async fn language(
    State(web): State<Web>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(next): Query<Next>,
) -> Response {
    if !web.pages.catalogues.has(&code) {
        return web.pages.error(&visitor, StatusCode::NOT_FOUND);
    }
    let mut response = see_other(&visitor, &safe_next(next.next.as_deref().unwrap_or("/")));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, &code, Some(365 * 86_400), visitor.secure()),
    );
    response
}

pub async fn reset_form(State(web): State<Web>, visitor: Visitor) -> Response {
    form(
        &web,
        &visitor,
        StatusCode::OK,
        "reset.html",
        &HashMap::new(),
        &[],
        None,
    )
}

/// Always the same answer, so the page tells no one which addresses have accounts.
pub async fn reset(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match request_reset(&web.app, &visitor.origin, &field(&values, "email")).await {
        Ok(()) => web.pages.message(
            &visitor,
            &catalogue.text("reset_title"),
            &catalogue.text("reset_sent"),
        ),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn new_password_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<Next>,
) -> Response {
    let mut values = HashMap::new();
    values.insert("token".to_string(), query.token.unwrap_or_default());
    form(
        &web,
        &visitor,
        StatusCode::OK,
        "new_password.html",
        &values,
        &[],
        None,
    )
}

pub async fn new_password(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    let completion = ResetCompletion {
        token: field(&values, "token"),
        password: values.get("password").cloned().unwrap_or_default(),
    };
    match complete_reset(&web.app, &visitor.origin, completion).await {
        Ok(()) => web.pages.message(
            &visitor,
            &catalogue.text("reset_complete_title"),
            &catalogue.text("reset_done"),
        ),
        Err(error) if !error.field_errors().is_empty() => form(
            &web,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "new_password.html",
            &values,
            &error.field_errors(),
            None,
        ),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// The link mailed to a new address: a button that confirms the change.
pub async fn confirm_email_change_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<Next>,
) -> Response {
    let labels = ("email_change_ask", "email_change_button");
    let action = "/confirm-email-change";
    link_button(&web, &visitor, query.token.as_deref(), action, labels)
}

pub async fn confirm_email_change(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &values) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match change_confirmed(&web.app, &visitor.origin, &field(&values, "token")).await {
        Ok(account) => {
            let text = catalogue.fill("email_changed", &[("email", &account.email)]);
            web.pages
                .message(&visitor, &catalogue.text("confirm_done_title"), &text)
        }
        Err(error) => web.pages.link_failure(&visitor, &error),
    }
}
