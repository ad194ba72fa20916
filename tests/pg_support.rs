//! The real-PostgreSQL test helper itself (tests/support/pg.rs): the store's PostgreSQL
//! tests rely on it, so its promises are checked here first.

mod support;

use support::pg::PgCluster;

fn query_one(url: &str, sql: &str) -> Result<String, String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                // Display is only "db error": the SQLSTATE says which.
                .map_err(|e| format!("{e} {:?}", e.code()))?;
            tokio::spawn(conn);
            let row = client
                .query_one(&sql, &[])
                .await
                .map_err(|e| e.to_string())?;
            Ok(row.get::<_, String>(0))
        })
    })
    .join()
    .unwrap()
}

#[test]
fn fresh_databases_are_empty_and_distinct() {
    let cluster = PgCluster::shared();
    let (a, b) = (cluster.fresh_database(), cluster.fresh_database());
    assert_ne!(a, b);
    let name_a = query_one(&a, "SELECT current_database()::text").unwrap();
    let name_b = query_one(&b, "SELECT current_database()::text").unwrap();
    assert_ne!(name_a, name_b);
    assert!(a.ends_with(&name_a), "{name_a} is the URL's database");
    let tables = query_one(
        &a,
        "SELECT count(*)::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .unwrap();
    assert_eq!(tables, "0");
}

#[test]
fn the_server_requires_the_password() {
    let cluster = PgCluster::shared();
    let url = cluster.fresh_database();
    let wrong = url.replace(&cluster.password(), "wrong-password");
    assert_ne!(wrong, url, "the URL carries the password");
    let err = query_one(&wrong, "SELECT 'x'").unwrap_err();
    // 28P01: invalid_password.
    assert!(err.contains("28P01"), "{err}");
}

#[test]
fn a_private_cluster_stops_and_starts_on_the_same_port() {
    let cluster = PgCluster::start_private();
    let url = cluster.fresh_database();
    query_one(
        &url,
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('here'); SELECT 'ok'",
    )
    .ok();
    cluster.execute("SELECT 1");
    cluster.stop();
    assert!(
        query_one(&url, "SELECT 'up'").is_err(),
        "the server is down"
    );
    cluster.start();
    assert_eq!(query_one(&url, "SELECT 'up'").unwrap(), "up");
    let dump = cluster.pg_dump(&url);
    assert!(dump.contains("PostgreSQL database dump"), "{dump}");
}
