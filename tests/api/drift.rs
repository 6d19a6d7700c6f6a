//! The three front ends read through the same views (issue 11): the
//! console, the admin API and the command line show the same live
//! sessions, the same clients and the same roles. Before the views, the
//! command line alone left out idle sessions.

use std::collections::BTreeSet;

use gatehouse::db;
use serde_json::Value;

use crate::admin_api::{Api, OPS, add_service_account, service_token};
use crate::console::{Person, add_root, between};
use crate::helpers::{TestApp, run_cli};

const IDLE_SECS: i64 = 300;
const API_ID: &str = "https://api.example";

fn set(values: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    values.into_iter().map(Into::into).collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The table rows of a console page's text.
fn rows(html: &str) -> Vec<String> {
    html.split("<tr>").skip(1).map(str::to_owned).collect()
}

#[tokio::test]
async fn console_api_and_cli_show_the_same_sessions_clients_and_roles() {
    let app = TestApp::spawn_with(|s| s.sessions.idle_timeout_secs = IDLE_SECS).await;
    add_root(&app);
    let ops_secret = add_service_account(&app, OPS, &["admin"]);
    for args in [
        &["api", "add", API_ID][..],
        &["permission", "add", API_ID, "read"],
        &["permission", "add", API_ID, "write"],
        &["role", "add", "reader"],
        &["role", "allow", "reader", API_ID, "read"],
        &["role", "add", "writer"],
        &["role", "allow", "writer", API_ID, "read"],
        &["role", "allow", "writer", API_ID, "write"],
        &[
            "client",
            "add",
            "shop",
            "--redirect-uri",
            "https://shop.example/cb",
            "--redirect-uri",
            "https://shop.example/again",
            "--post-logout-redirect-uri",
            "https://shop.example/bye",
            "--resource",
            API_ID,
            "--grant",
            "authorization_code",
        ],
        &["client", "grant-role", "shop", "reader"],
    ] {
        app.cli(args, None).ok();
    }
    let alice = app.add_user("alice", &["reader", "writer"]);
    // More holders than the roles page lists: it shows the first 20.
    for n in 0..21 {
        app.add_user(&format!("many{n:02}"), &["writer"]);
    }

    // Two sessions: the laptop's idle past the timeout by the server's
    // manual clock and, its last use moved back, by the command line's
    // real clock too; the phone's in use.
    Person::signed_in(&app, "alice").await;
    let started = app.now();
    let (id, idle_since) = (alice.clone(), started - IDLE_SECS - 1);
    app.db(move |conn| {
        let laptop = db::sessions::live_for_user(conn, &id, started)?.remove(0);
        db::sessions::touch(conn, &laptop.id_hash, idle_since)
    });
    app.clock.advance(IDLE_SECS + 1);
    Person::signed_in(&app, "alice").await;
    let id = alice.clone();
    let stored = app.db(move |conn| db::sessions::live_for_user(conn, &id, started));
    assert_eq!(stored.len(), 2, "both sessions are stored and not ended");
    let phone = stored
        .iter()
        .find(|s| s.last_seen_at > started)
        .map(|s| s.sid.clone())
        .unwrap();
    let live = set([phone]);
    // Signed in now: a session from before the clock moved would be idle.
    let root = Person::signed_in(&app, "root").await;
    let api = Api::new(&app, service_token(&app, OPS, &ops_secret).await);

    // Sessions.
    let page = root.get("/admin/users/alice").await.expect(200).text();
    let sessions = between(&page, "<h2>Sessions</h2>", "</table>").unwrap();
    let console_sids = set(rows(&sessions)
        .iter()
        .filter_map(|row| between(row, "<code>", "</code>")));
    let api_sids = set(api
        .get("/users/alice/sessions")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sid"].as_str().unwrap().to_owned()));
    // The command line reads its settings from the environment, not from
    // the test server's: the same idle timeout, given the same way.
    let mut command = app.env.command();
    command.env(
        "GATEHOUSE__SESSIONS__IDLE_TIMEOUT_SECS",
        IDLE_SECS.to_string(),
    );
    let out = run_cli(command, &["user", "sessions", "alice"], None);
    let cli_sids = set(out
        .ok()
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap().to_owned()));
    assert_eq!(console_sids, live, "console: {sessions}");
    assert_eq!(api_sids, live, "admin API");
    assert_eq!(cli_sids, live, "command line: {out}");

    // Clients: the same ones, and the same of what each shows of `shop`.
    let page = root.get("/admin/clients").await.expect(200).text();
    let console_rows: Vec<String> = rows(&page)
        .into_iter()
        .filter(|row| row.contains("<td><strong>"))
        .collect();
    let console_ids = set(console_rows
        .iter()
        .filter_map(|row| between(row, "<td><strong>", "</strong>")));
    let clients = api.get("/clients").await.expect(200).clone();
    let clients = clients.as_array().unwrap();
    let api_ids = set(clients.iter().map(|c| c["client_id"].as_str().unwrap()));
    let out = app.cli(&["client", "list"], None);
    let cli_ids = set(out
        .ok()
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap().to_owned()));
    assert_eq!(console_ids, set(["ops", "shop"]));
    assert_eq!(api_ids, console_ids, "admin API");
    assert_eq!(cli_ids, console_ids, "command line: {out}");
    let shop = clients.iter().find(|c| c["client_id"] == "shop").unwrap();
    assert_eq!(
        api.get("/clients/shop").await.expect(200),
        shop,
        "one client as the list shows it"
    );
    let out = app.cli(&["client", "show", "shop"], None);
    let field = |label: &str| {
        out.ok()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{label}: ")))
            .unwrap_or_else(|| panic!("no {label}: {out}"))
            .split(' ')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let uris = ["https://shop.example/again", "https://shop.example/cb"];
    let registered: [(&str, &[&str]); 4] = [
        ("redirect_uris", &uris),
        ("post_logout_redirect_uris", &["https://shop.example/bye"]),
        ("resources", &[API_ID]),
        ("roles", &["reader"]),
    ];
    for (key, expected) in registered {
        assert_eq!(strings(&shop[key]), expected, "admin API {key}");
        assert_eq!(field(key), expected, "command line {key}");
    }
    let console_shop = console_rows
        .iter()
        .find(|row| row.contains("<strong>shop</strong>"))
        .unwrap();
    for shown in uris.iter().chain(&["reader"]) {
        assert!(console_shop.contains(shown), "console: {console_shop}");
    }

    // Roles: the same ones granting the same permissions.
    let page = root.get("/admin/roles").await.expect(200).text();
    let roles_table = between(&page, "<h1>Roles</h1>", "</table>").unwrap();
    let console_roles: Vec<(String, BTreeSet<String>, String)> = rows(&roles_table)
        .iter()
        .filter_map(|row| {
            let name = between(row, "<strong>", "</strong>")?;
            let grants = set(row.split("<code>").skip(1).map(|rest| {
                let (api, after) = rest.split_once("</code> ").unwrap();
                format!("{api}:{}", after.split_whitespace().next().unwrap())
            }));
            Some((name, grants, row.clone()))
        })
        .collect();
    let api_roles: Vec<(String, BTreeSet<String>)> = api
        .get("/roles")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|role| {
            let grants = set(role["permissions"].as_array().unwrap().iter().map(|p| {
                format!(
                    "{}:{}",
                    p["api"].as_str().unwrap(),
                    p["permission"].as_str().unwrap()
                )
            }));
            (role["name"].as_str().unwrap().to_owned(), grants)
        })
        .collect();
    let out = app.cli(&["role", "list"], None);
    let cli_roles: Vec<(String, BTreeSet<String>)> = out
        .ok()
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace().map(str::to_owned);
            (words.next().unwrap(), words.collect())
        })
        .collect();
    let console_pairs: Vec<(String, BTreeSet<String>)> = console_roles
        .iter()
        .map(|(name, grants, _)| (name.clone(), grants.clone()))
        .collect();
    assert_eq!(
        console_pairs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["admin", "reader", "writer"]
    );
    assert_eq!(
        console_pairs[2].1,
        set([format!("{API_ID}:read"), format!("{API_ID}:write")])
    );
    assert_eq!(api_roles, console_pairs, "admin API");
    assert_eq!(cli_roles, console_pairs, "command line: {out}");

    // Holders, on the console only: users (the first 20) and clients.
    let holders = |name: &str| -> String {
        let row = &console_roles.iter().find(|(n, ..)| n == name).unwrap().2;
        row.split("<td>").nth(3).unwrap().to_owned()
    };
    assert!(holders("reader").contains("alice<br>client shop<br>"));
    let writers = holders("writer");
    assert!(writers.starts_with("alice<br>many00<br>"), "{writers}");
    assert!(writers.contains("many18<br>") && !writers.contains("many19"));
    assert!(holders("admin").contains("root<br>client ops<br>"));
}
