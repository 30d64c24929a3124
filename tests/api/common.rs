//! What every test module shares: a database of its own for each test, on the backend the run
//! tests.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The PostgreSQL server tests create their databases on, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("OMS_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database dropped (`WITH (FORCE)`) when this value is dropped.
pub struct TestDatabase {
    pub url: String,
    kind: Kind,
}

enum Kind {
    /// The folder goes when this is dropped.
    Sqlite {
        _folder: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A fresh, empty database on the backend this run tests (see the module comment).
    pub async fn create() -> TestDatabase {
        match postgres_admin_url() {
            Some(admin) => TestDatabase::postgres(&admin).await,
            None => TestDatabase::sqlite(),
        }
    }

    /// A fresh, empty SQLite file, whatever the run's backend.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("oms-test.db");
        TestDatabase {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            kind: Kind::Sqlite { _folder: dir },
        }
    }

    /// A fresh, empty database on the PostgreSQL server of `admin_url`.
    pub async fn postgres(admin_url: &str) -> TestDatabase {
        let name = format!("oms_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach OMS_TEST_DATABASE_URL {admin_url}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url).expect("OMS_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDatabase {
            url: url.to_string(),
            kind: Kind::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// A plain SeaORM connection to this database (no gateway settings, no statement counter).
    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(self.url.as_str())
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else {
            return; // the TempDir removes the SQLite file
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop cannot await, and may run inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let result = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string());
                let _ = admin.close().await;
                result.map(|_| ())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop the test database: {e}"),
            Err(_) => eprintln!("warning: dropping the test database panicked"),
        }
    }
}
