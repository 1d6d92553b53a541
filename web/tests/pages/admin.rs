//! The administration pages without JavaScript: an administrator saves the instance's settings
//! (the about pages show them, a plain user is refused), registrations under approval ask why
//! and wait in a moderator's queue, reports tick the instance's rules, and the transparency
//! log and its feed show decisions without their reasons.

use crate::moderation::give_role;
use crate::sites;
use crate::support::{create_event, Browser};
use convene_domain::Role;

async fn save_settings(admin: &Browser, fields: &[(&str, &str)]) -> crate::support::Page {
    let form = admin.get("/admin/settings").await;
    assert_eq!(form.status, 200, "{}", form.body);
    admin.post("/admin/settings", &form.csrf(), fields).await
}

#[tokio::test]
async fn an_administrator_describes_the_instance_and_everyone_reads_it() {
    for (_db, site) in sites("admin_settings_pages").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;

        let refused = ana.get("/admin/settings").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let dashboard = ana.get("/admin").await;
        assert_eq!(dashboard.status, 403, "{}", dashboard.body);

        let head = site.head().await;
        let bad = save_settings(&admin, &[("name", "Repair café"), ("contact", "nobody")]).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("aria-invalid=\"true\""), "{}", bad.body);
        assert!(bad.body.contains("Repair café"), "the values are kept");
        assert_eq!(site.head().await, head, "nothing written");

        let saved = save_settings(
            &admin,
            &[
                ("name", "Repair café"),
                ("description", "Fixing things together."),
                ("contact", "hello@repair.example"),
                ("languages", "fr, en"),
                ("new_rules", "Be kind\nNo advertising"),
                (
                    "terms",
                    "# Terms\n\nBe **nice**.\n\n<script>alert(1)</script>",
                ),
                ("registrations", "approval"),
                ("transparency", "anonymous"),
            ],
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        let about = site.browser("en").get("/about").await;
        assert_eq!(about.status, 200, "{}", about.body);
        for shown in [
            "Repair café",
            "Fixing things together.",
            "Be kind",
            "No advertising",
            "hello@repair.example",
            "a moderator approves each one",
            "href=\"/about/terms\"",
            "href=\"/transparency\"",
        ] {
            assert!(about.body.contains(shown), "{shown}: {}", about.body);
        }
        assert!(
            !about.body.contains("/about/privacy"),
            "no privacy page written"
        );
        let terms = site.browser("en").get("/about/terms").await;
        assert_eq!(terms.status, 200, "{}", terms.body);
        assert!(
            terms.body.contains("<strong>nice</strong>"),
            "{}",
            terms.body
        );
        assert!(!terms.body.contains("<script>alert"), "{}", terms.body);
        let privacy = site.browser("en").get("/about/privacy").await;
        assert_eq!(privacy.status, 404);

        // The form shows each rule by its number; emptying one removes it.
        let form = admin.get("/admin/settings").await;
        assert!(form.body.contains("name=\"rule_2\""), "{}", form.body);
        let kept = save_settings(
            &admin,
            &[
                ("name", "Repair café"),
                ("rule_1", ""),
                ("rule_2", "No advertising"),
                ("registrations", "approval"),
                ("transparency", "anonymous"),
            ],
        )
        .await;
        assert_eq!(kept.status, 303, "{}", kept.body);
        let about = site.browser("en").get("/about").await;
        assert!(!about.body.contains("Be kind"), "{}", about.body);

        let dashboard = admin.get("/admin").await;
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        assert!(dashboard.body.contains("href=\"/admin/settings\""));
        assert!(!ana.get("/").await.body.contains("href=\"/admin\""));
        let accounts = admin.get("/admin/accounts?q=fr").await;
        assert_eq!(accounts.status, 200, "{}", accounts.body);
        assert!(
            !accounts.body.contains("ana@example.org"),
            "{}",
            accounts.body
        );
        let accounts = admin.get("/admin/accounts?q=ana").await;
        assert!(
            accounts.body.contains("ana@example.org"),
            "{}",
            accounts.body
        );
        let marker = "action=\"/admin/accounts/";
        let start = accounts.body.find(marker).expect("a role form") + marker.len();
        let id: String = accounts.body[start..]
            .chars()
            .take_while(|c| *c != '/')
            .collect();
        let promoted = admin
            .post(
                &format!("/admin/accounts/{id}/role"),
                &accounts.csrf(),
                &[("role", "moderator")],
            )
            .await;
        assert_eq!(promoted.status, 303, "{}", promoted.body);
        let mut now_staff = false;
        for _ in 0..100 {
            if ana.get("/").await.body.contains("href=\"/admin\"") {
                now_staff = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(now_staff, "ana became a moderator");
        let home = admin.get("/").await;
        assert!(
            home.body.contains("href=\"/admin\""),
            "staff see the way in"
        );
    }
}

#[tokio::test]
async fn under_approval_the_form_asks_why_and_a_moderator_decides() {
    for (_db, site) in sites("admin_registration_pages").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let saved = save_settings(&admin, &[("registrations", "approval")]).await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        let zoe = site.browser("fr");
        let form = zoe.get("/register").await;
        assert!(form.body.contains("name=\"reason\""), "{}", form.body);
        let fields = [
            ("email", "zoe@example.org"),
            ("password", "correct horse battery"),
            ("username", "zoe"),
            ("locale", "fr"),
        ];
        let without = zoe.post("/register", &form.csrf(), &fields).await;
        assert_eq!(without.status, 422, "{}", without.body);
        assert!(
            without.body.contains("dites en quelques mots"),
            "{}",
            without.body
        );
        let mut with_reason = fields.to_vec();
        with_reason.push(("reason", "Je répare des vélos"));
        let asked = zoe.post("/register", &form.csrf(), &with_reason).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        assert!(
            asked.body.contains("examine ensuite votre inscription"),
            "{}",
            asked.body
        );

        let mut queue = admin.get("/admin/registrations").await;
        for _ in 0..100 {
            if queue.body.contains("zoe@example.org") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            queue = admin.get("/admin/registrations").await;
        }
        assert!(queue.body.contains("Je répare des vélos"), "{}", queue.body);
        let marker = "action=\"/admin/registrations/";
        let start = queue.body.find(marker).expect("a form") + marker.len();
        let account: String = queue.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let path = format!("/admin/registrations/{account}");
        let unexplained = admin
            .post(
                &path,
                &queue.csrf(),
                &[("verdict", "reject"), ("reason", "")],
            )
            .await;
        assert_eq!(unexplained.status, 422, "{}", unexplained.body);
        let approved = admin
            .post(&path, &queue.csrf(), &[("verdict", "approve")])
            .await;
        assert_eq!(approved.status, 303, "{}", approved.body);
        let queue = admin.get("/admin/registrations").await;
        assert!(!queue.body.contains("zoe@example.org"), "{}", queue.body);
        site.link_mailed("zoe@example.org", "/login").await;
    }
}

#[tokio::test]
async fn reports_tick_rules_and_the_transparency_log_shows_the_decision() {
    for (_db, site) in sites("admin_transparency_pages").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let id = create_event(&bob, &[("title", "Cheap watches")]).await;

        let off = site.browser("en").get("/transparency").await;
        assert_eq!(off.status, 404);
        let saved = save_settings(
            &admin,
            &[
                ("new_rules", "Be kind\nNo advertising"),
                ("transparency", "named"),
            ],
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);

        let link = format!("/report?event={id}");
        let form = ana.get(&link).await;
        assert!(form.body.contains("name=\"rule_2\""), "{}", form.body);
        let filed = ana
            .post(
                "/report",
                &form.csrf(),
                &[
                    ("event", id.as_str()),
                    ("category", "rule_violation"),
                    ("rule_2", "on"),
                    ("comment", "selling watches"),
                ],
            )
            .await;
        assert_eq!(filed.status, 200, "{}", filed.body);
        let report = convene_projections::reports::queue(
            site.db.pool(),
            &convene_projections::reports::QueueFilter::default(),
            1,
        )
        .await
        .expect("queue")
        .remove(0)
        .id;
        let decided = admin.get(&format!("/moderation/reports/{report}")).await;
        let removed = admin
            .post(
                &format!("/moderation/reports/{report}/decide"),
                &decided.csrf(),
                &[
                    ("action", "remove"),
                    ("target", "event"),
                    ("event", id.as_str()),
                    ("reason", "secret: a known spammer"),
                    ("public_comment", "Advertising is not allowed here"),
                ],
            )
            .await;
        assert_eq!(removed.status, 303, "{}", removed.body);

        let mut page = site.browser("en").get("/transparency").await;
        for _ in 0..100 {
            if page.body.contains("Event removed") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            page = site.browser("en").get("/transparency").await;
        }
        assert_eq!(page.status, 200, "{}", page.body);
        for shown in [
            "Event removed",
            "rule 2",
            "No advertising",
            "@admin",
            "Advertising is not allowed here",
        ] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        assert!(!page.body.contains("secret"), "{}", page.body);
        assert!(!page.body.contains("Cheap watches"), "{}", page.body);
        // The time is written in words (UTC for a visitor who chose no zone), not as stored.
        let now = time::OffsetDateTime::now_utc();
        let in_words = format!("{} {}, {}", now.month(), now.day(), now.year());
        assert!(page.body.contains(&in_words), "{in_words}: {}", page.body);
        assert!(
            !page.body.contains(&format!(">{}-", now.year())),
            "{}",
            page.body
        );
        let feed = site.browser("en").get("/transparency.atom").await;
        assert_eq!(feed.status, 200, "{}", feed.body);
        assert!(feed.content_type.starts_with("application/atom+xml"));
        assert!(
            feed.body.contains("<title>EventRemoved: an event</title>"),
            "{}",
            feed.body
        );
        assert!(!feed.body.contains("secret"), "{}", feed.body);
    }
}

/// Stores activity `n` and its delivery (`delivery-{n}`) in `state`, as the queue would have
/// left it.
async fn delivery(site: &crate::support::Site, n: i64, state: &str) {
    let pool = site.db.pool();
    let activity = format!("http://127.0.0.1:9/activities/{n}");
    sqlx::query("INSERT INTO activities (id, key_id, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&activity)
        .bind("http://127.0.0.1:9/@org#main-key")
        .bind("{}")
        .bind(1_000 + n)
        .execute(pool)
        .await
        .expect("an activity");
    let (status, error) = match state {
        "failed" => (Some(410_i64), None),
        "dead" => (None, Some("connection refused")),
        _ => (None, None),
    };
    sqlx::query(
        "INSERT INTO deliveries (id, activity_id, inbox, host, state, attempts, next_attempt_at,
             leased_until, last_status, last_error, created_at, updated_at)
         VALUES ($1, $2, 'http://127.0.0.1:9/inbox', '127.0.0.1:9', $3, 2, 4000000000000, NULL,
             $4, $5, $6, $6)",
    )
    .bind(format!("delivery-{n}"))
    .bind(&activity)
    .bind(state)
    .bind(status)
    .bind(error)
    .bind(1_000 + n)
    .execute(pool)
    .await
    .expect("a delivery");
}

#[tokio::test]
async fn an_administrator_sees_what_is_sent_and_tries_a_refused_delivery_again() {
    for (_db, site) in sites("admin_deliveries_page").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        give_role(&site, "mia", Role::Moderator).await;
        for (n, state) in [(1, "pending"), (2, "failed"), (3, "dead"), (4, "delivered")] {
            delivery(&site, n, state).await;
        }
        let refused = mia.get("/admin/deliveries").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused
            .body
            .contains("Only the instance&#39;s administrators"));

        // Not delivered yet, by default: waiting, refused and given up, oldest first.
        let undelivered = admin.get("/admin/deliveries").await;
        assert_eq!(undelivered.status, 200, "{}", undelivered.body);
        let at = |n: i64| undelivered.body.find(&format!("/activities/{n}<"));
        assert!(
            at(1) < at(2) && at(2) < at(3) && at(1).is_some(),
            "{}",
            undelivered.body
        );
        assert!(at(4).is_none(), "{}", undelivered.body);
        assert!(
            undelivered.body.contains("HTTP 410"),
            "{}",
            undelivered.body
        );
        assert!(
            undelivered.body.contains("3 in this list"),
            "{}",
            undelivered.body
        );
        let dashboard = admin.get("/admin").await;
        assert!(dashboard.body.contains("href=\"/admin/deliveries\""));

        let dead = admin.get("/admin/deliveries?state=dead").await;
        assert!(dead.body.contains("connection refused"), "{}", dead.body);
        assert!(!dead.body.contains("/activities/1<"), "{}", dead.body);
        for bad in ["state=lost", "page=first"] {
            let page = admin.get(&format!("/admin/deliveries?{bad}")).await;
            assert_eq!(page.status, 422, "{bad}: {}", page.body);
            let field = bad.split('=').next().unwrap_or_default();
            assert!(page.body.contains(&format!("{field}: ")), "{}", page.body);
        }

        let tried = admin
            .post(
                "/admin/deliveries/delivery-3/retry",
                &dead.csrf(),
                &[("state", "dead")],
            )
            .await;
        assert_eq!(tried.status, 303, "{}", tried.body);
        assert_eq!(
            tried.location.as_deref(),
            Some("/admin/deliveries?state=dead")
        );
        let state: String = sqlx::query_scalar("SELECT state FROM deliveries WHERE id = $1")
            .bind("delivery-3")
            .fetch_one(site.db.pool())
            .await
            .expect("the delivery");
        assert_eq!(state, "pending");
        // A delivery that is waiting is not tried again out of turn: said, nothing changed.
        let again = admin
            .post("/admin/deliveries/delivery-1/retry", &dead.csrf(), &[])
            .await;
        assert_eq!(again.status, 409, "{}", again.body);
    }
}
