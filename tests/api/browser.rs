//! What the browser tests share: the tools check (Chromium and Node), `npm ci` in
//! tests/browser, and GraphQL Code Generator over the SPA's documents, each done once per run
//! (the tests run in parallel in one process, and two `npm ci` at once would break each other).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// tests/browser: the package with playwright-core, the SPA and the scripts.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether a test that needs `what` may run: Chromium and Node are installed by `.ci/run`;
/// elsewhere the test says what is missing and passes, unless `OMS_REQUIRE_BROWSER` is set.
pub fn available(test: &str, chromium: bool) -> bool {
    let missing = if chromium && !Path::new(&chromium_path()).exists() {
        Some(format!(
            "no Chromium at {} (apt-get install chromium)",
            chromium_path()
        ))
    } else if !Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some("no `node` on PATH".to_owned())
    } else {
        None
    };
    match missing {
        None => true,
        Some(missing) if std::env::var_os("OMS_REQUIRE_BROWSER").is_some() => {
            panic!("{test} is required (OMS_REQUIRE_BROWSER) but {missing}")
        }
        Some(missing) => {
            eprintln!("SKIPPED {test}: {missing}");
            false
        }
    }
}

fn chromium_path() -> String {
    std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Runs `npm ci` in tests/browser unless every package the tests use is there already.
pub fn install() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        let modules = dir().join("node_modules");
        let needed = [
            "playwright-core",
            "@graphql-codegen/cli",
            "@graphql-codegen/client-preset",
            "@urql/core",
            "@urql/exchange-persisted",
            "graphql-ws",
            "esbuild",
        ];
        if needed.iter().all(|p| modules.join(p).exists()) {
            return Ok(());
        }
        let out = run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]));
        out.status
            .success()
            .then_some(())
            .ok_or_else(|| format!("npm ci in tests/browser failed:\n{}", text(&out)))
    });
    if let Err(e) = installed {
        panic!("{e}");
    }
}

/// GraphQL Code Generator over the SPA's documents and schema.graphql (spa/codegen.ts), once:
/// the path of the trusted-documents manifest it wrote.
pub fn codegen() -> PathBuf {
    static GENERATED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    install();
    let generated = GENERATED.get_or_init(|| {
        let out = run(graphql_codegen()
            .env_remove("SPA_SCHEMA")
            .env_remove("SPA_GQL_OUT"));
        if !out.status.success() {
            return Err(format!("GraphQL Code Generator failed:\n{}", text(&out)));
        }
        Ok(dir().join("spa/src/gql/persisted-documents.json"))
    });
    match generated {
        Ok(path) => path.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// `graphql-codegen --config spa/codegen.ts`, as `npx graphql-codegen` runs it.
pub fn graphql_codegen() -> Command {
    let mut command = Command::new(dir().join("node_modules/.bin/graphql-codegen"));
    command.args(["--config", "spa/codegen.ts"]);
    command
}

/// Runs a command in tests/browser to its end.
pub fn run(command: &mut Command) -> Output {
    command
        .current_dir(dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// The standard output and error of a finished command, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
