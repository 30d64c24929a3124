//! `oms-gateway`: command-line dispatch only; the application lives in the library.

use std::io::{BufRead, IsTerminal};

/// mimalloc instead of glibc's malloc: the request path allocates many small objects (GraphQL
/// values, rows), where glibc's allocator showed up as a fifth of the CPU time in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's C API (linked through the `mimalloc` crate): `mi_option_set` and the index of
// `mi_option_arena_eager_commit` in its `mi_option_e` (mimalloc.h, the same in v2 and v3).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    fn getenv(name: *const std::ffi::c_char) -> *const std::ffi::c_char;
}
const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

/// Arenas committed as they are used, not at once: on Linux mimalloc commits a whole arena
/// eagerly by default, and the gateway's resident memory follows; off, its peak RSS under the
/// benchmark's load fell from about 50 to 33 MiB (BENCHMARKS.md). mimalloc reserves its first
/// arena at the first allocation, before `main`, so this runs as an ELF constructor, and
/// allocates nothing; `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still decides if set.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

#[cfg(target_os = "linux")]
extern "C" fn tune_allocator() {
    // SAFETY: getenv reads the environment before any thread exists; mi_option_set stores one
    // of mimalloc's global options
    unsafe {
        if getenv(c"MIMALLOC_ARENA_EAGER_COMMIT".as_ptr()).is_null() {
            mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        }
    }
}

use std::process::ExitCode;

use clap::Parser;
use migration::{Migrator, MigratorTrait};
use oms_gateway::auth::service::{self, NewUser};
use oms_gateway::cli::{Cli, Command, MigrateAction, ServeArgs, UserCommand};
use oms_gateway::config::{JwtSecret, Settings};
use oms_gateway::state::AppState;
use oms_gateway::{graphql, seed, server, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_args(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oms-gateway: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Schema) = cli.command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    telemetry::init_tracing(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oms-gateway: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    match runtime.block_on(run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oms-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args, settings).await,
        Command::Migrate {
            action,
            with_triggers,
            all,
        } => {
            let state = AppState::connect(settings).await?;
            migrate(&state, action, with_triggers, all).await
        }
        Command::Seed => {
            let state = AppState::connect(settings).await?;
            server::migrate(&state).await?;
            let report = seed::load(&state).await?;
            println!("{report}");
            Ok(())
        }
        Command::User(UserCommand::Create {
            username,
            password,
            email,
            staff,
        }) => {
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            let state = AppState::connect(settings).await?;
            server::migrate(&state).await?;
            let user = service::create_user(
                &state,
                NewUser {
                    username: &username,
                    password: &password,
                    email: email.as_deref(),
                    staff,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!(seed::describe_error(&e)))?;
            println!(
                "created user {} (id {}{})",
                user.username,
                user.id,
                if user.is_staff { ", staff" } else { "" }
            );
            Ok(())
        }
        Command::Token { username } => {
            if matches!(settings.jwt_secret, JwtSecret::Ephemeral(_)) {
                eprintln!(
                    "oms-gateway: warning: OMS_JWT_SECRET is not set, so this token is signed with a \
                     random key no server shares; set OMS_JWT_SECRET to the server's secret"
                );
            }
            let state = AppState::connect(settings).await?;
            let token = seed::access_token_for(&state, &username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no active user named {username:?}"))?;
            println!("{token}");
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs, settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind;
    let state = AppState::connect(settings).await?;
    // warned only once the database answers, so that a bad DATABASE_URL ends with one line
    if matches!(state.settings.jwt_secret, JwtSecret::Ephemeral(_)) {
        tracing::warn!(
            "OMS_JWT_SECRET is not set: tokens are signed with a random per-process key and stop \
             working when the process restarts"
        );
    }
    if args.no_migrate {
        server::inspect(&state).await?;
    } else {
        server::migrate_with(&state, args.with_triggers).await?;
    }
    if args.demo {
        let report = seed::load(&state).await?;
        println!("{report}");
        let lifetime = humantime::format_duration(state.settings.access_token_lifetime);
        println!("Ready access tokens (valid {lifetime}):");
        for name in ["admin", "user"] {
            if let Some(token) = seed::access_token_for(&state, name).await? {
                println!("  {name}: {token}");
            }
        }
    }
    let (listener, addr) = server::bind(bind).await?;
    println!("oms-gateway listening on http://{addr} (GraphiQL: http://{addr}/graphql)");
    tracing::info!(%addr, "listening");
    server::serve(state, listener).await
}

async fn migrate(
    state: &AppState,
    action: MigrateAction,
    with_triggers: bool,
    all: bool,
) -> anyhow::Result<()> {
    let db = &state.db;
    let fail = |e: migration::DbErr| anyhow::anyhow!("migration failed: {e}");
    if with_triggers && action != MigrateAction::Up {
        anyhow::bail!("--with-triggers goes with `migrate up`");
    }
    if all && action != MigrateAction::Down {
        anyhow::bail!("--all goes with `migrate down`");
    }
    match action {
        MigrateAction::Up => {
            let report = server::migrate_with(state, with_triggers).await?;
            for index in &report.indexes.rebuilt {
                println!("index {index} was invalid (a failed concurrent build): rebuilt");
            }
            println!("migrations applied");
            if report.triggers {
                println!(
                    "change triggers installed on oms_order, oms_orderitem and oms_payment \
                     (restart running gateways so that they stop sending their own events at once; they \
                     notice within the hour otherwise)"
                );
            }
        }
        MigrateAction::Down if all => match migration::down_all(db).await.map_err(fail)? {
            migration::Remains::Nothing => {
                println!("every migration reverted: nothing of the gateway is left")
            }
            migration::Remains::LegacyTables => println!(
                "every migration reverted: the gateway's tables, indexes, triggers and \
                 gateway_migrations are gone; the nine legacy tables remain (not created by the \
                 gateway, or taken over by Django)"
            ),
        },
        MigrateAction::Down => {
            Migrator::down(db, Some(1)).await.map_err(fail)?;
            println!("last migration reverted");
        }
        MigrateAction::Fresh => {
            Migrator::fresh(db).await.map_err(fail)?;
            migration::up(db, false).await.map_err(fail)?;
            println!("database emptied and migrations applied");
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(db)
                .await
                .map_err(fail)?
            {
                println!("{:<8} {}", m.status().to_string(), m.name());
            }
        }
    }
    Ok(())
}

/// The password of `user create` when neither --password nor OMS_PASSWORD gives it.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password given (use --password, OMS_PASSWORD or standard input)");
    }
    Ok(password)
}
