//! GraphiQL in a real headless Chromium: the page, its scripts and styles all come from the
//! gateway (any request to another host fails the test), and a query for orders shows its
//! result on the page.

use std::process::Command;

use crate::browser;
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn graphiql_runs_a_query_in_headless_chromium() {
    if !browser::available("graphiql_runs_a_query_in_headless_chromium", true) {
        return;
    }
    browser::install();
    let app = spawn_app_with(|s| s.anonymous_read = true).await;
    oms_gateway::seed::load(&app.state)
        .await
        .expect("demo data");
    let base = format!("http://{}", app.address);
    let output = tokio::task::spawn_blocking(move || {
        browser::run(
            Command::new("node")
                .arg("graphiql.mjs")
                .arg(&base)
                .arg("\"totalCount\": 1"),
        )
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "GraphiQL check failed:\n{}",
        browser::text(&output)
    );
    assert!(
        stdout.contains("\"username\": \"user\""),
        "result pane: {stdout}"
    );
}
