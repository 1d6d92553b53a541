use crate::sites;
use crate::support::{create_event, event_form, Browser};

#[tokio::test]
async fn organiser_and_participant_in_english_and_french() {
    for (_db, site) in sites("web_flows").await {
        for lang in ["en", "fr"] {
            let organiser = Browser::member(
                &site,
                &format!("org-{lang}@example.org"),
                &format!("org_{lang}"),
                lang,
            )
            .await;
            let id = create_event(
                &organiser,
                &[
                    ("title", "Atelier vélo"),
                    ("capacity", "2"),
                    ("join_mode", "restricted"),
                ],
            )
            .await;
            let page = organiser.get(&format!("/events/{id}")).await;
            assert_eq!(page.status, 200);
            assert!(
                page.body.contains("<h1 dir=\"auto\">Atelier vélo</h1>"),
                "{}",
                page.body
            );
            assert!(page.body.contains("application/ld+json"));
            assert!(page
                .body
                .contains("property=\"og:title\" content=\"Atelier vélo\""));
            let (date, organising) = match lang {
                "fr" => ("samedi 1 juin 2030, 14:00", "Vous organisez cet événement."),
                _ => (
                    "Saturday, June 1, 2030, 2:00 PM",
                    "You organise this event.",
                ),
            };
            assert!(page.body.contains(date), "{lang}: {}", page.body);
            assert!(page.body.contains(organising));
            assert!(page.body.contains(&format!("<html lang=\"{lang}\">")));

            let guest = Browser::member(
                &site,
                &format!("guest-{lang}@example.org"),
                &format!("guest_{lang}"),
                lang,
            )
            .await;
            let seen = guest.get(&format!("/events/{id}")).await;
            let joined = guest
                .post(
                    &format!("/events/{id}/join"),
                    &seen.csrf(),
                    &[
                        ("profile", &format!("guest_{lang}")),
                        ("message", "Je viens !"),
                    ],
                )
                .await;
            assert_eq!(joined.status, 303, "{}", joined.body);
            let waiting = guest.get(&format!("/events/{id}")).await;
            let expected = match lang {
                "fr" => "Votre demande attend l’accord des organisateur·ices.",
                _ => "Your request waits for the organisers",
            };
            assert!(waiting.body.contains(expected), "{lang}: {}", waiting.body);

            let commented = guest
                .post(
                    &format!("/events/{id}/comments"),
                    &waiting.csrf(),
                    &[
                        ("profile", &format!("guest_{lang}")),
                        ("body", "Où se retrouve-t-on ?"),
                    ],
                )
                .await;
            assert_eq!(commented.status, 303, "{}", commented.body);
            let thread = organiser.get(&format!("/events/{id}")).await;
            assert!(thread.body.contains("Où se retrouve-t-on ?"));
            // Comment dates read in the page's language (today, in the event's zone).
            let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+1));
            let weekday = today.weekday().number_days_from_monday() as usize;
            let names = match lang {
                "fr" => [
                    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
                ],
                _ => [
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                ],
            };
            let around = [
                names[weekday],
                names[(weekday + 6) % 7],
                names[(weekday + 1) % 7],
            ];
            assert!(
                around
                    .iter()
                    .any(|d| thread.body.contains(&format!(">{d}"))),
                "{lang}: a localised comment date"
            );

            let left = guest
                .post(&format!("/events/{id}/leave"), &waiting.csrf(), &[])
                .await;
            assert_eq!(left.status, 303);

            let calendar = guest.get(&format!("/events/{id}/calendar.ics")).await;
            assert!(calendar.content_type.starts_with("text/calendar"));
            assert!(calendar.body.contains("SUMMARY:Atelier vélo"));

            // A broken rule is told in the page's language.
            let refused = organiser
                .post(&format!("/events/{id}/leave"), &thread.csrf(), &[])
                .await;
            assert_eq!(refused.status, 409);
            let rule = match lang {
                "fr" => "La dernière personne qui organise ne peut pas partir",
                _ => "The last organiser cannot leave or step down",
            };
            assert!(refused.body.contains(rule), "{lang}: {}", refused.body);

            let ask = organiser.get(&format!("/events/{id}/cancel")).await;
            assert_eq!(ask.status, 200);
            let cancelled = organiser
                .post(&format!("/events/{id}/cancel"), &ask.csrf(), &[])
                .await;
            assert_eq!(cancelled.status, 303);
            let badge = if lang == "fr" { "Annulé" } else { "Cancelled" };
            assert!(organiser
                .get(&format!("/events/{id}"))
                .await
                .body
                .contains(badge));
        }
    }
}

#[tokio::test]
async fn bad_form_input_comes_back_with_values_and_named_errors_and_nothing_is_recorded() {
    for (_db, site) in sites("web_bad_input").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let form = organiser.get("/events/new").await;
        let before = site.head().await;
        let refused = organiser
            .post(
                "/events/new",
                &form.csrf(),
                &event_form(&[
                    ("title", "ab"),
                    ("time_zone", "Mars/Olympus"),
                    ("capacity", "0"),
                    ("begins_at", "2030-06-01T14:00"),
                    ("ends_at", "2030-06-01T13:00"),
                    ("online_url", "javascript:alert(1)"),
                ]),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        for message in [
            "A title is 3 to 200 characters.",
            "Choose a time zone such as Europe/Paris.",
            "Give at least 1 seat, or leave it empty for no limit.",
            "Give a full address starting with https://.",
        ] {
            assert!(refused.body.contains(message), "missing {message:?}");
        }
        assert!(refused.body.contains("value=\"ab\""), "the values are kept");
        assert!(refused.body.contains("value=\"Mars/Olympus\""));
        assert!(refused.body.contains("aria-invalid=\"true\""));
        assert_eq!(site.head().await, before, "nothing appended");

        let french = Browser::member(&site, "fr@example.org", "fr_org", "fr").await;
        let form = french.get("/events/new").await;
        let refused = french
            .post("/events/new", &form.csrf(), &event_form(&[("title", "ab")]))
            .await;
        assert!(
            refused
                .body
                .contains("Un titre fait de 3 à 200 caractères."),
            "{}",
            refused.body
        );

        let before = site.head().await;
        let forged = organiser
            .post("/events/new", "not-the-token", &event_form(&[]))
            .await;
        assert_eq!(
            forged.status, 403,
            "a form without its CSRF token is refused"
        );
        assert_eq!(site.head().await, before);

        let register = site.browser("en");
        let page = register.get("/register").await;
        let bad = register
            .post(
                "/register",
                &page.csrf(),
                &[
                    ("email", "ana"),
                    ("password", "short"),
                    ("username", "Ana Banana"),
                    ("locale", "en"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("value=\"ana\""));
        assert!(!bad.body.contains("short"), "a password is never sent back");
        for message in [
            "Enter an email address such as ana@example.org.",
            "A password is at least 10 characters.",
            "A username is 1 to 30 characters",
        ] {
            assert!(bad.body.contains(message), "missing {message:?}");
        }
        let page = register.get("/register").await;
        let taken = register
            .post(
                "/register",
                &page.csrf(),
                &[
                    ("email", "other@example.org"),
                    ("password", "correct horse battery"),
                    ("username", "org"),
                    ("locale", "en"),
                ],
            )
            .await;
        assert_eq!(taken.status, 422);
        assert!(
            taken
                .body
                .contains("This username is already taken: choose another."),
            "{}",
            taken.body
        );

        // An address that has an account gets the page a new one gets; its owner is mailed.
        let register_as = |email: &'static str, username: &'static str| {
            let register = register.clone();
            async move {
                let page = register.get("/register").await;
                let fields = [
                    ("email", email),
                    ("password", "correct horse battery"),
                    ("username", username),
                    ("locale", "en"),
                ];
                register.post("/register", &page.csrf(), &fields).await
            }
        };
        let used = register_as("org@example.org", "someone").await;
        let new = register_as("new@example.org", "newcomer").await;
        assert_eq!((used.status, new.status), (200, 200), "{}", used.body);
        assert_eq!(
            used.body
                .replace("org@example.org", "new@example.org")
                .split("<main")
                .nth(1)
                .map(|main| main.split("</main>").next().unwrap_or_default().to_string()),
            new.body.split("<main").nth(1).map(|main| main
                .split("</main>")
                .next()
                .unwrap_or_default()
                .to_string()),
            "the same page, but for the address"
        );
        site.link_mailed("org@example.org", "/reset-password").await;
        site.link_mailed("new@example.org", "/confirm-email?token=")
            .await;
    }
}

#[tokio::test]
async fn anonymous_participation_from_the_event_page() {
    for (_db, site) in sites("web_anonymous").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("anonymous", "on")]).await;
        let visitor = site.browser("en");
        let page = visitor.get(&format!("/events/{id}")).await;
        assert!(page.body.contains("Take part without an account"));
        let sent = visitor
            .post(
                &format!("/events/{id}/anonymous"),
                &page.csrf(),
                &[("email", "zoe@example.org")],
            )
            .await;
        assert_eq!(sent.status, 200);
        assert!(sent.body.contains("Check your mailbox"));
        let confirm = site
            .link_mailed("zoe@example.org", "/participations/confirm?token=")
            .await;
        let before = site.head().await;
        let ask = visitor.get(&confirm).await;
        assert!(
            ask.body.contains("Confirm my participation"),
            "{}",
            ask.body
        );
        assert_eq!(
            site.head().await,
            before,
            "opening the link changes nothing"
        );
        let confirmed = visitor.press_mailed_link(&confirm).await;
        assert!(
            confirmed.body.contains("You take part. See you there!"),
            "{}",
            confirmed.body
        );
        let back = format!("<a href=\"/events/{id}\">Back to the event</a>");
        assert!(confirmed.body.contains(&back), "{}", confirmed.body);
        let cancel = site
            .link_mailed("zoe@example.org", "/participations/cancel?token=")
            .await;
        let ask = visitor.get(&cancel).await;
        assert!(ask.body.contains("Yes, cancel my participation"));
        let token = cancel.split("token=").nth(1).unwrap_or_default();
        let done = visitor
            .post("/participations/cancel", &ask.csrf(), &[("token", token)])
            .await;
        assert!(
            done.body.contains("Your participation is cancelled."),
            "{}",
            done.body
        );
        assert!(done.body.contains(&back), "{}", done.body);
    }
}

#[tokio::test]
async fn the_language_follows_the_browser_then_the_visitors_choice() {
    for (_db, site) in sites("web_language").await {
        let browser = site.browser("fr-CH, fr;q=0.9, en;q=0.5");
        let home = browser.get("/").await;
        assert!(home.body.contains("<html lang=\"fr\">"));
        assert!(home.body.contains("Événements à venir"));
        let switched = browser.get("/language/en?next=/login").await;
        assert_eq!(
            (switched.status, switched.location.as_deref()),
            (303, Some("/login"))
        );
        let login = browser.get("/login").await;
        assert!(login.body.contains("<html lang=\"en\">"));
        let elsewhere = browser.get("/language/en?next=https://evil.example/").await;
        assert_eq!(
            elsewhere.location.as_deref(),
            Some("/"),
            "never sent to another site"
        );
    }
}

#[tokio::test]
async fn organisers_approve_read_history_and_people_switch_identities() {
    for (_db, site) in sites("web_organise").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(
            &organiser,
            &[("join_mode", "restricted"), ("capacity", "1")],
        )
        .await;
        let guest = Browser::member(&site, "guest@example.org", "guest", "en").await;

        // The guest makes a second identity, makes it the default, renames it, and joins with it.
        let settings = guest.get("/settings").await;
        assert_eq!(settings.status, 200);
        let made = guest
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "new_profile"),
                    ("username", "guest_union"),
                    ("display_name", "Union rep"),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let chosen = guest
            .post(
                "/settings",
                &settings.csrf(),
                &[("action", "default"), ("username", "guest_union")],
            )
            .await;
        assert_eq!(chosen.status, 303);
        let renamed = guest
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "rename"),
                    ("username", "guest_union"),
                    ("display_name", "Union delegate"),
                ],
            )
            .await;
        assert_eq!(renamed.status, 303);
        let settings = guest.get("/settings").await;
        assert!(settings.body.contains("value=\"Union delegate\""));
        let page = guest.get(&format!("/events/{id}")).await;
        assert!(
            page.body.contains("<option value=\"guest_union\">"),
            "both identities are offered"
        );
        let joined = guest
            .post(
                &format!("/events/{id}/join"),
                &page.csrf(),
                &[("profile", "guest_union")],
            )
            .await;
        assert_eq!(joined.status, 303);

        // The organiser's default identity becomes another one: organising still acts as @org.
        let own = organiser.get("/settings").await;
        organiser
            .post(
                "/settings",
                &own.csrf(),
                &[
                    ("action", "new_profile"),
                    ("username", "org_home"),
                    ("display_name", "Home"),
                ],
            )
            .await;
        organiser
            .post(
                "/settings",
                &own.csrf(),
                &[("action", "default"), ("username", "org_home")],
            )
            .await;
        let people = organiser.get(&format!("/events/{id}/participants")).await;
        assert_eq!(people.status, 200);
        assert!(people.body.contains("@guest_union"));
        assert!(
            !people.body.contains("@guest<"),
            "only the identity that joined appears"
        );
        let pid_marker = "/participants/";
        let start = people
            .body
            .find(pid_marker)
            .map(|i| i + pid_marker.len())
            .unwrap_or_default();
        let pid: String = people.body[start..]
            .chars()
            .take_while(|c| *c != '/')
            .collect();
        let approved = organiser
            .post(
                &format!("/events/{id}/participants/{pid}/approve"),
                &people.csrf(),
                &[],
            )
            .await;
        assert_eq!(approved.status, 303, "{}", approved.body);
        assert!(organiser
            .get(&format!("/events/{id}/participants"))
            .await
            .body
            .contains("Participant"));
        let csv = organiser
            .get(&format!("/events/{id}/participants.csv"))
            .await;
        assert!(
            csv.body.contains("@guest_union,participant"),
            "{}",
            csv.body
        );
        assert_eq!(
            guest
                .get(&format!("/events/{id}/participants"))
                .await
                .status,
            403
        );

        let history = organiser.get(&format!("/events/{id}/history")).await;
        assert!(
            history.body.contains("@guest_union joined (not_approved)"),
            "{}",
            history.body
        );
        assert!(history.body.contains("approved @guest_union (participant)"));

        let mine = guest.get("/my/events").await;
        assert!(mine.body.contains("Climate march"));
        assert!(mine.body.contains("@guest_union"));
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_and_a_private_feed_can_be_replaced_or_revoked() {
    for (_db, site) in sites("web_reset_and_feed").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let id = create_event(
            &ana,
            &[("title", "Private picnic"), ("visibility", "private")],
        )
        .await;

        // The private feed: a secret link, shown once, replaced or revoked at will.
        let settings = ana.get("/settings").await;
        let made = ana
            .post("/settings", &settings.csrf(), &[("action", "feed_new")])
            .await;
        assert_eq!(made.status, 200);
        let marker = "id=\"feed-ics\" type=\"url\" readonly value=\"";
        let start = made
            .body
            .find(marker)
            .map(|i| i + marker.len())
            .unwrap_or_default();
        let link: String = made.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let path = link.trim_start_matches(&site.base).to_string();
        let stranger = site.browser("en");
        let feed = stranger.get(&path).await;
        assert!(
            feed.body.contains("SUMMARY:Private picnic"),
            "{}",
            feed.body
        );
        let atom = stranger.get(&path.replace(".ics", ".atom")).await;
        assert!(atom.body.contains("<title>Private picnic</title>"));
        assert!(
            !ana.get("/settings").await.body.contains(&link),
            "the link is shown only once"
        );
        let replaced = ana
            .post("/settings", &settings.csrf(), &[("action", "feed_new")])
            .await;
        assert_eq!(replaced.status, 200);
        assert_eq!(
            stranger.get(&path).await.status,
            404,
            "the old link stops working"
        );
        let revoked = ana
            .post("/settings", &settings.csrf(), &[("action", "feed_revoke")])
            .await;
        assert_eq!(revoked.status, 303);
        assert!(ana
            .get("/settings")
            .await
            .body
            .contains("No secret link yet."));
        let _ = id;

        // A forgotten password.
        let visitor = site.browser("en");
        let form = visitor.get("/reset-password").await;
        let sent = visitor
            .post(
                "/reset-password",
                &form.csrf(),
                &[("email", "ana@example.org")],
            )
            .await;
        assert!(sent.body.contains("If an account uses this address"));
        let unknown = visitor
            .post(
                "/reset-password",
                &form.csrf(),
                &[("email", "nobody@example.org")],
            )
            .await;
        assert_eq!(unknown.body, sent.body, "the same answer either way");
        let link = site
            .link_mailed("ana@example.org", "/reset-password/complete?token=")
            .await;
        let page = visitor.get(&link).await;
        let token = link.split("token=").nth(1).unwrap_or_default();
        let short = visitor
            .post(
                "/reset-password/complete",
                &page.csrf(),
                &[("token", token), ("password", "short")],
            )
            .await;
        assert_eq!(short.status, 422);
        let done = visitor
            .post(
                "/reset-password/complete",
                &page.csrf(),
                &[("token", token), ("password", "a brand new password")],
            )
            .await;
        assert!(
            done.body.contains("Your password is changed"),
            "{}",
            done.body
        );
        assert_eq!(
            ana.get("/settings").await.location.as_deref(),
            Some("/login?next=/settings"),
            "every session closed"
        );
        let login = visitor.get("/login").await;
        let again = visitor
            .post(
                "/login",
                &login.csrf(),
                &[
                    ("email", "ana@example.org"),
                    ("password", "a brand new password"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(again.status, 303);
    }
}

#[tokio::test]
async fn the_email_address_changes_once_the_new_one_confirms_and_the_old_one_is_freed() {
    for (_db, site) in sites("web_email_change").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let settings = ana.get("/settings").await;
        let wrong = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "email"),
                    ("email", "ana@new.example"),
                    ("password", "not my password"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 422);
        let taken_by = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let taken = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "email"),
                    ("email", "bob@example.org"),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(taken.status, 422, "{}", taken.body);
        let _ = taken_by;
        let asked = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "email"),
                    ("email", "ana@new.example"),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert!(
            asked.body.contains("We sent a link to ana@new.example"),
            "{}",
            asked.body
        );
        assert!(
            ana.get("/settings")
                .await
                .body
                .contains("<p>ana@example.org</p>"),
            "unchanged until confirmed"
        );
        let link = site
            .link_mailed("ana@new.example", "/confirm-email-change?token=")
            .await;
        let before = site.head().await;
        let ask = ana.get(&link).await;
        assert!(ask.body.contains("Confirm the new address"), "{}", ask.body);
        assert_eq!(
            site.head().await,
            before,
            "opening the link changes nothing"
        );
        let confirmed = ana.press_mailed_link(&link).await;
        assert!(
            confirmed
                .body
                .contains("Your account now uses ana@new.example."),
            "{confirmed:?}"
        );
        assert!(ana
            .get("/settings")
            .await
            .body
            .contains("<p>ana@new.example</p>"));
        // The old address is free again; the new one logs in.
        Browser::member(&site, "ana@example.org", "ana_again", "en").await;
        let login = site.browser("en");
        let form = login.get("/login").await;
        let again = login
            .post(
                "/login",
                &form.csrf(),
                &[
                    ("email", "ana@new.example"),
                    ("password", "correct horse battery"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(again.status, 303);
    }
}
