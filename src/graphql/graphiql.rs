//! GraphiQL at `GET /graphql`, with React and GraphiQL served from the binary itself
//! (`assets/graphiql`, vendored from npm: graphiql 3.8.3, react 18.3.1), so it works with no
//! internet access.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/graphiql/"]
#[include = "*.js"]
#[include = "*.css"]
struct Assets;

/// The GraphiQL page; `endpoint` is where queries go, `ws` where subscriptions go.
pub fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /graphql/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    match Assets::get(&file) {
        Some(content) => {
            let mime = if file.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "application/javascript; charset=utf-8"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                content.data,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>oms-gateway · GraphiQL</title>
  <link rel="stylesheet" href="/graphql/assets/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphql/assets/react.production.min.js"></script>
  <script src="/graphql/assets/react-dom.production.min.js"></script>
  <script src="/graphql/assets/graphiql.min.js"></script>
  <script>
    const wsScheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const fetcher = GraphiQL.createFetcher({
      url: location.origin + '/graphql',
      subscriptionUrl: wsScheme + '//' + location.host + '/graphql/ws',
    });
    const defaultQuery = `# Paste a token from /api/accounts/token/ into the headers pane:
#   {"Authorization": "Bearer <access>"}
query Orders {
  orders(first: 10) {
    totalCount
    nodes { id status totalAmount customer { username } items { quantity product { name } } }
  }
}
`;
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery, headerEditorEnabled: true, shouldPersistHeaders: true })
    );
  </script>
</body>
</html>
"#;
