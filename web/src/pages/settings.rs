//! The account's own pages: its events (organising, going, waiting) and its settings
//! (identities, default identity, password, language).

use super::{check_csrf, field, login_first, Fields};
use crate::i18n::Catalogue;
use crate::render::see_other_saying;
use crate::view::card;
use crate::visitor::{set_cookie, Visitor, LANG_COOKIE};
use crate::Web;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::Response;
use convene_api::accounts::{self, DefaultProfile, EmailChange, PasswordChange};
use convene_api::auth::Session;
use convene_api::profiles::{self, NewProfile, ProfileChanges};
use convene_api::{events, Error};
use convene_domain::event::ParticipantState;
use convene_notifications::{Delivery, Kind};
use std::collections::{BTreeMap, HashMap};
use tera::Context;

pub async fn my_events(State(web): State<Web>, visitor: Visitor) -> Response {
    if !visitor.logged_in() {
        return login_first(&visitor);
    }
    let catalogue = web.pages.catalogue(&visitor);
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    let mine = match events::of_account(&web.app, &session.account).await {
        Ok(mine) => mine,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut lists: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for (event, participation) in mine {
        let list = match participation.state {
            s if s.is_organiser() => "organising",
            ParticipantState::Participant => "going",
            ParticipantState::Waitlisted | ParticipantState::NotApproved => "waiting",
            _ => continue,
        };
        let mut entry = serde_json::to_value(card(catalogue, &event)).unwrap_or_default();
        entry["as"] = serde_json::Value::String(participation.profile.unwrap_or_default());
        lists.entry(list).or_default().push(entry);
    }
    let followed = match convene_api::groups::followed_events(&web.app, &session.account).await {
        Ok(followed) => followed,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    for event in followed {
        let mut entry = serde_json::to_value(card(catalogue, &event)).unwrap_or_default();
        let group = event.group.map(|g| g.handle).unwrap_or_default();
        entry["as"] = serde_json::Value::String(group);
        lists.entry("groups").or_default().push(entry);
    }
    let mut context = Context::new();
    for list in ["organising", "going", "waiting", "groups"] {
        context.insert(list, &lists.remove(list).unwrap_or_default());
    }
    web.pages
        .render(&visitor, StatusCode::OK, "my_events.html", context)
}

pub(crate) async fn settings_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
) -> Response {
    feed_page(web, visitor, status, notice, errors, None).await
}

/// Each kind with its chosen delivery, as the settings form lists them.
fn notification_rows(
    catalogue: &Catalogue,
    chosen: Vec<(Kind, Delivery)>,
    errors: &BTreeMap<String, String>,
) -> Vec<serde_json::Value> {
    chosen
        .into_iter()
        .map(|(kind, delivery)| {
            let options: Vec<serde_json::Value> = Delivery::ALL
                .into_iter()
                .map(|d| {
                    serde_json::json!({
                        "value": d.as_str(),
                        "label": catalogue.text(&format!("notif_delivery_{}", d.as_str())),
                        "selected": d == delivery,
                    })
                })
                .collect();
            serde_json::json!({
                "kind": kind.as_str(),
                "label": catalogue.text(&format!("notif_kind_{}", kind.as_str())),
                "options": options,
                "error": errors.get(&format!("kind_{}", kind.as_str())),
            })
        })
        .collect()
}

/// The settings page; `feed_url` is a new private feed link, shown this once.
async fn feed_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
    feed_url: Option<String>,
) -> Response {
    let mut context = Context::new();
    if let Some(session) = &visitor.session {
        match convene_notifications::settings::get(&web.app, session).await {
            Ok(chosen) => context.insert(
                "notification_settings",
                &notification_rows(web.pages.catalogue(visitor), chosen, &errors),
            ),
            Err(error) => return web.pages.failure(visitor, &error),
        }
        match convene_notifications::settings::digest(&web.app, session).await {
            Ok(time) => {
                context.insert("digest_hour", &time.hour);
                context.insert("digest_time_zone", &time.time_zone);
                context.insert("digest_hours", &(0..24).collect::<Vec<u32>>());
            }
            Err(error) => return web.pages.failure(visitor, &error),
        }
        match convene_notifications::settings::reminders(&web.app, session).await {
            Ok(minutes) => context.insert(
                "reminders",
                &minutes
                    .iter()
                    .map(|m| convene_notifications::reminders::format_minutes(*m))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Err(error) => return web.pages.failure(visitor, &error),
        }
    }
    // Each of the account's profiles' avatars, by username.
    let avatars: BTreeMap<&str, crate::view::Picture> = visitor
        .profiles
        .iter()
        .filter_map(|p| {
            Some((
                p.username.as_str(),
                crate::view::picture(p.avatar.as_ref()?),
            ))
        })
        .collect();
    context.insert("avatars", &avatars);
    context.insert(
        "avatar_limit",
        &super::pictures::size(
            web.pages.catalogue(visitor),
            web.app.config.pictures.avatar_limit,
        ),
    );
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
    settings_page(&web, &visitor, StatusCode::OK, None, BTreeMap::new()).await
}

/// Every settings form posts here, saying which with `action`; each has a function of its own.
pub async fn save(State(web): State<Web>, visitor: Visitor, axum::Form(form): Fields) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let Some(session) = visitor.session.clone() else {
        return login_first(&visitor);
    };
    let page = Form {
        web: &web,
        visitor: &visitor,
        session: &session,
        form: &form,
    };
    match field(&form, "action").as_str() {
        "new_profile" => page.new_profile().await,
        "rename" => page.rename().await,
        "default" => page.choose_default().await,
        "password" => page.password().await,
        "feed_new" => page.new_feed().await,
        "feed_revoke" => page.revoke_feed().await,
        "email" => page.email().await,
        "locale" => page.locale().await,
        "notifications" => page.notifications().await,
        _ => web.pages.error(&visitor, StatusCode::NOT_FOUND),
    }
}

/// One posted settings form.
struct Form<'a> {
    web: &'a Web,
    visitor: &'a Visitor,
    session: &'a Session,
    form: &'a HashMap<String, String>,
}

impl Form<'_> {
    fn value(&self, name: &str) -> String {
        field(self.form, name)
    }

    /// A password field, as typed (never trimmed).
    fn secret(&self, name: &str) -> String {
        self.form.get(name).cloned().unwrap_or_default()
    }

    /// Back to the settings after a change, or the page saying what to fix.
    async fn done(
        &self,
        outcome: Result<(), Error>,
        keys: &[(&str, &str)],
        saying: &str,
    ) -> Response {
        match outcome {
            Ok(()) => see_other_saying(self.visitor, "/settings", saying),
            Err(error) => self.refused(&error, keys).await,
        }
    }

    /// The settings page naming each field to fix (in the visitor's language: the catalogue's
    /// `err_<field>`, or the key `keys` gives a field), or the page for any other failure.
    async fn refused(&self, error: &Error, keys: &[(&str, &str)]) -> Response {
        let errors = error.field_errors();
        if errors.is_empty() {
            return self.web.pages.failure(self.visitor, error);
        }
        let catalogue = self.web.pages.catalogue(self.visitor);
        let messages = errors
            .iter()
            .map(|e| {
                let key = keys
                    .iter()
                    .find(|(field, _)| *field == e.field)
                    .map_or_else(|| format!("err_{}", e.field), |(_, key)| key.to_string());
                let text = catalogue
                    .t
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| e.message.clone());
                (e.field.clone(), text)
            })
            .collect();
        settings_page(
            self.web,
            self.visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            messages,
        )
        .await
    }

    async fn new_profile(&self) -> Response {
        let new = NewProfile {
            username: self.value("username"),
            display_name: Some(self.value("display_name")).filter(|d| !d.is_empty()),
            summary: None,
        };
        let session = self.session;
        let created =
            profiles::create_profile(&self.web.app, &session.account.id, &session.origin, new)
                .await;
        self.done(created.map(drop), &[], "flash_identity_created")
            .await
    }

    async fn rename(&self) -> Response {
        let changes = ProfileChanges {
            display_name: Some(self.value("display_name")),
            summary: None,
        };
        let renamed = profiles::update_profile(
            &self.web.app,
            self.session,
            &self.value("username"),
            changes,
        )
        .await;
        match renamed {
            Err(error) if error.class() == convene_api::Class::Forbidden => {
                self.web.pages.error(self.visitor, StatusCode::FORBIDDEN)
            }
            renamed => self.done(renamed.map(drop), &[], "flash_saved").await,
        }
    }

    async fn choose_default(&self) -> Response {
        let choice = DefaultProfile {
            username: self.value("username"),
        };
        let chosen = accounts::choose_default_profile(&self.web.app, self.session, choice).await;
        self.done(chosen.map(drop), &[], "flash_default_changed")
            .await
    }

    async fn password(&self) -> Response {
        let change = PasswordChange {
            current_password: self.secret("current_password"),
            new_password: self.secret("new_password"),
        };
        let changed = accounts::change_password(&self.web.app, self.session, change).await;
        self.done(
            changed,
            &[
                ("current_password", "wrong_credentials"),
                ("new_password", "err_password"),
            ],
            "flash_password_changed",
        )
        .await
    }

    async fn new_feed(&self) -> Response {
        match accounts::rotate_feed_token(&self.web.app, self.session).await {
            Ok(token) => {
                let url = format!("{}/feeds/{token}/my-events", self.web.app.config.public_url);
                feed_page(
                    self.web,
                    self.visitor,
                    StatusCode::OK,
                    None,
                    BTreeMap::new(),
                    Some(url),
                )
                .await
            }
            Err(error) => self.web.pages.failure(self.visitor, &error),
        }
    }

    async fn revoke_feed(&self) -> Response {
        let revoked = accounts::revoke_feed_token(&self.web.app, self.session).await;
        self.done(revoked, &[], "flash_feed_revoked").await
    }

    async fn email(&self) -> Response {
        let change = EmailChange {
            email: self.value("email"),
            password: self.secret("password"),
        };
        match accounts::request_email_change(&self.web.app, self.session, change).await {
            Ok(()) => {
                let catalogue = self.web.pages.catalogue(self.visitor);
                let text = catalogue.fill("email_change_sent", &[("email", &self.value("email"))]);
                settings_page(
                    self.web,
                    self.visitor,
                    StatusCode::OK,
                    Some(text),
                    BTreeMap::new(),
                )
                .await
            }
            Err(error) => {
                self.refused(&error, &[("password", "wrong_credentials")])
                    .await
            }
        }
    }

    async fn locale(&self) -> Response {
        let locale = self.value("locale");
        match accounts::change_locale(&self.web.app, self.session, &locale).await {
            Ok(()) => {
                let mut response =
                    see_other_saying(self.visitor, "/settings", "flash_language_changed");
                response.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(
                        LANG_COOKIE,
                        &locale,
                        Some(365 * 86_400),
                        self.visitor.secure(),
                    ),
                );
                response
            }
            Err(error) => self.refused(&error, &[("locale", "error_403")]).await,
        }
    }

    /// One select per kind (`kind_<name>`), each `mail`, `digest` or `off`; `reminders`, the
    /// times before an event its reminders come (`1d, 2h`; empty: none); `digest_hour` and
    /// `digest_time_zone`, when the daily digest comes. Every mistake is named at once and
    /// nothing is saved unless all is right.
    async fn notifications(&self) -> Response {
        let wanted = self
            .form
            .iter()
            .filter_map(|(name, value)| {
                let kind = name.strip_prefix("kind_")?;
                Some((kind.to_string(), value.trim().to_string()))
            })
            .collect();
        let mut errors = Vec::new();
        let chosen = match convene_notifications::settings::parse(&wanted) {
            Ok(chosen) => chosen,
            // Named as the form names them.
            Err(Error::Invalid(refused)) => {
                errors.extend(refused.into_iter().map(|mut e| {
                    e.field = format!("kind_{}", e.field);
                    e
                }));
                Vec::new()
            }
            Err(error) => return self.refused(&error, &[]).await,
        };
        let reminders = match self.form.get("reminders") {
            None => None,
            Some(text) => match convene_notifications::settings::parse_reminders(
                "reminders",
                std::slice::from_ref(text),
            ) {
                Ok(minutes) => Some(minutes),
                Err(Error::Invalid(refused)) => {
                    errors.extend(refused);
                    None
                }
                Err(error) => return self.refused(&error, &[]).await,
            },
        };
        // The digest's hour and time zone, named as the form names them.
        let digest = match (
            self.form.get("digest_hour"),
            self.form.get("digest_time_zone"),
        ) {
            (Some(hour), Some(zone)) => {
                let hour = hour.trim().parse().unwrap_or(-1);
                match convene_notifications::settings::parse_digest(hour, zone) {
                    Ok(chosen) => Some(chosen),
                    Err(Error::Invalid(refused)) => {
                        errors.extend(refused.into_iter().map(|mut e| {
                            e.field = format!("digest_{}", e.field);
                            e
                        }));
                        None
                    }
                    Err(error) => return self.refused(&error, &[]).await,
                }
            }
            _ => None,
        };
        if !errors.is_empty() {
            return self
                .refused(
                    &Error::Invalid(errors),
                    &[
                        ("reminders", "err_reminders"),
                        ("digest_time_zone", "err_time_zone"),
                    ],
                )
                .await;
        }
        if let Some(chosen) = digest {
            if let Err(error) =
                convene_notifications::settings::set_digest(&self.web.app, self.session, chosen)
                    .await
            {
                return self.refused(&error, &[]).await;
            }
        }
        if let Err(error) =
            convene_notifications::settings::set(&self.web.app, self.session, &chosen).await
        {
            return self.refused(&error, &[]).await;
        }
        if let Some(minutes) = reminders {
            if let Err(error) = convene_notifications::settings::set_reminders(
                &self.web.app,
                self.session,
                &minutes,
            )
            .await
            {
                return self.refused(&error, &[]).await;
            }
        }
        see_other_saying(self.visitor, "/settings#notifications", "flash_saved")
    }
}
