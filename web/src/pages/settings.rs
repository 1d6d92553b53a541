//! The account's own pages: its events (organising, going, waiting) and its settings
//! (identities, default identity, password, language).

use super::{check_csrf, field, login_first, Fields};
use crate::render::see_other;
use crate::view::card;
use crate::visitor::{set_cookie, Visitor, LANG_COOKIE};
use crate::Web;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::Response;
use convene_api::accounts::{request_email_change, EmailChange};
use convene_api::auth::{hash_password, new_token, token_hash, verify_password, Session};
use convene_api::consistency;
use convene_api::profiles::{create_profile, NewProfile};
use convene_domain::account::{validate_locale, validate_password};
use convene_domain::event::ParticipantState;
use convene_domain::{AccountCommand, Actor, ProfileCommand};
use convene_projections::events;
use std::collections::BTreeMap;
use tera::Context;

pub async fn my_events(State(web): State<Web>, visitor: Visitor) -> Response {
    if !visitor.logged_in() {
        return login_first(&visitor);
    }
    let catalogue = web.pages.catalogue(&visitor);
    let own: Vec<String> = visitor
        .profiles
        .iter()
        .map(|p| p.username.clone())
        .collect();
    let mine = events::participations_of(web.app.db.pool(), &own)
        .await
        .unwrap_or_default();
    let mut lists: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for participation in mine {
        let Ok(Some(event)) = events::find(web.app.db.pool(), &participation.event_id).await else {
            continue;
        };
        let list = match ParticipantState::parse(&participation.state) {
            Some(s) if s.is_organiser() => "organising",
            Some(ParticipantState::Participant) => "going",
            Some(ParticipantState::Waitlisted | ParticipantState::NotApproved) => "waiting",
            _ => continue,
        };
        let mut entry = serde_json::to_value(card(catalogue, &event)).unwrap_or_default();
        entry["as"] = serde_json::Value::String(participation.profile.unwrap_or_default());
        lists.entry(list).or_default().push(entry);
    }
    let mut context = Context::new();
    for list in ["organising", "going", "waiting"] {
        context.insert(list, &lists.remove(list).unwrap_or_default());
    }
    web.pages
        .render(&visitor, StatusCode::OK, "my_events.html", context)
}

fn settings_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
) -> Response {
    feed_page(web, visitor, status, notice, errors, None)
}

/// The settings page; `feed_url` is a new private feed link, shown this once.
fn feed_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
    feed_url: Option<String>,
) -> Response {
    let mut context = Context::new();
    context.insert("feed_url", &feed_url);
    context.insert(
        "has_feed",
        &visitor.session.as_ref().is_some_and(|s| s.account.has_feed),
    );
    context.insert("notice", &notice);
    context.insert("errors", &errors);
    context.insert(
        "default_profile",
        &visitor
            .session
            .as_ref()
            .and_then(|s| s.account.default_profile.clone()),
    );
    context.insert(
        "email",
        &visitor.session.as_ref().map(|s| s.account.email.clone()),
    );
    web.pages.render(visitor, status, "settings.html", context)
}

pub async fn settings(State(web): State<Web>, visitor: Visitor) -> Response {
    if !visitor.logged_in() {
        return login_first(&visitor);
    }
    settings_page(&web, &visitor, StatusCode::OK, None, BTreeMap::new())
}

/// Every settings form posts here, saying which with `action`.
pub async fn save(State(web): State<Web>, visitor: Visitor, axum::Form(form): Fields) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let Some(session) = visitor.session.clone() else {
        return login_first(&visitor);
    };
    let catalogue = web.pages.catalogue(&visitor);
    let refuse = |field: &str, key: &str| {
        let mut errors = BTreeMap::new();
        errors.insert(field.to_string(), catalogue.text(key));
        settings_page(
            &web,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
        )
    };
    let outcome = match field(&form, "action").as_str() {
        "new_profile" => {
            let new = NewProfile {
                username: field(&form, "username"),
                display_name: Some(field(&form, "display_name")).filter(|d| !d.is_empty()),
                summary: None,
            };
            create_profile(&web.app, &session.account.id, &session.origin, new)
                .await
                .map(|_| ())
        }
        "rename" => {
            let username = field(&form, "username");
            if !visitor.profiles.iter().any(|p| p.username == username) {
                return web.pages.error(&visitor, StatusCode::FORBIDDEN);
            }
            let command = ProfileCommand::Update {
                display_name: Some(field(&form, "display_name")),
                summary: None,
            };
            let metadata = session.origin.by(Actor::Account {
                account: session.account.id.clone(),
                profile: Some(username.clone()),
            });
            consistency::command(&web.app, &web.app.profiles, &username, command, &metadata)
                .await
                .map(|_| ())
        }
        "default" => {
            let command = AccountCommand::ChooseDefaultProfile {
                username: field(&form, "username"),
            };
            account(&web, &session, command).await
        }
        "password" => {
            let current = form.get("current_password").cloned().unwrap_or_default();
            if !verify_password(current, session.account.password_hash.clone()).await {
                return refuse("current_password", "wrong_credentials");
            }
            let new = form.get("new_password").cloned().unwrap_or_default();
            if validate_password(&new).is_err() {
                return refuse("new_password", "err_password");
            }
            match hash_password(new).await {
                Ok(password_hash) => {
                    let command = AccountCommand::ChangePassword {
                        password_hash,
                        keep_session: Some(session.token_hash.clone()),
                    };
                    account(&web, &session, command).await
                }
                Err(problem) => Err(problem),
            }
        }
        "feed_new" => {
            let token = new_token();
            let command = AccountCommand::RotateFeedToken {
                token: token_hash(&token),
            };
            return match account(&web, &session, command).await {
                Ok(()) => {
                    let url = format!("{}/feeds/{token}/my-events", web.app.config.public_url);
                    feed_page(
                        &web,
                        &visitor,
                        StatusCode::OK,
                        None,
                        BTreeMap::new(),
                        Some(url),
                    )
                }
                Err(problem) => web.pages.problem(&visitor, &problem),
            };
        }
        "feed_revoke" => account(&web, &session, AccountCommand::RevokeFeedToken).await,
        "email" => {
            let change = EmailChange {
                email: field(&form, "email"),
                password: form.get("password").cloned().unwrap_or_default(),
            };
            return match request_email_change(&web.app, &session, change).await {
                Ok(()) => {
                    let text =
                        catalogue.fill("email_change_sent", &[("email", &field(&form, "email"))]);
                    settings_page(&web, &visitor, StatusCode::OK, Some(text), BTreeMap::new())
                }
                Err(problem) if !problem.errors.is_empty() => {
                    let errors = problem
                        .errors
                        .iter()
                        .map(|e| {
                            let key = if e.field == "password" {
                                "wrong_credentials".to_string()
                            } else {
                                format!("err_{}", e.field)
                            };
                            (
                                e.field.clone(),
                                catalogue
                                    .t
                                    .get(&key)
                                    .cloned()
                                    .unwrap_or_else(|| e.message.clone()),
                            )
                        })
                        .collect();
                    settings_page(
                        &web,
                        &visitor,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        None,
                        errors,
                    )
                }
                Err(problem) => web.pages.problem(&visitor, &problem),
            };
        }
        "locale" => {
            let locale = field(&form, "locale");
            if validate_locale(&locale).is_err() {
                return refuse("locale", "error_403");
            }
            let command = AccountCommand::ChangeLocale {
                locale: locale.clone(),
            };
            match account(&web, &session, command).await {
                Ok(()) => {
                    let mut response = see_other(&visitor, "/settings");
                    response.headers_mut().append(
                        header::SET_COOKIE,
                        set_cookie(LANG_COOKIE, &locale, Some(365 * 86_400), visitor.secure()),
                    );
                    return response;
                }
                Err(problem) => Err(problem),
            }
        }
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match outcome {
        Ok(()) => see_other(&visitor, "/settings"),
        Err(problem) if !problem.errors.is_empty() => {
            let errors = problem
                .errors
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
            settings_page(
                &web,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
            )
        }
        Err(problem) => web.pages.problem(&visitor, &problem),
    }
}

async fn account(
    web: &Web,
    session: &Session,
    command: AccountCommand,
) -> Result<(), convene_api::problem::Problem> {
    consistency::command(
        &web.app,
        &web.app.accounts,
        &session.account.id,
        command,
        &session.metadata(),
    )
    .await
    .map(|_| ())
}
