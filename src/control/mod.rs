//! The control plane: named connections (DigitalOcean tokens sealed at rest), syncs
//! (source → app, with the engine's options) and their runs, kept in the state
//! database beside the engine's records. Shapes follow Infisical's app connections
//! and secret syncs (see `to_json` of [`Connection`], [`SyncConfig`], [`SyncRun`]).
//!
//! Decisions worth knowing:
//! - `delete_connection(force = true)` deletes the connection *and* the syncs using it
//!   with their run history (without `force` it is refused while a sync uses it). The
//!   apps and the engine's state records are never touched by a delete.
//! - Two syncs of one app are refused when they would manage a common key (see
//!   [`overlap`]); the check runs inside the writing transaction.
//! - A token is checked with one `GET /v2/account` when a connection is created, and
//!   again when its token or base URL changes.

pub mod config_file;
mod connections;
mod error;
pub mod notify;
pub mod overlap;
mod runner;
mod runs;
mod syncs;
mod validate;
pub mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use parking_lot::Mutex;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::client::{operation, Client, ClientBuilder, Error as ApiError, Pages, ACCOUNT_GET};
use crate::sources::SourceSpec;
use crate::store::crypto::{CryptoError, MasterKey};
use crate::store::{ConnectionRecord, Store, SyncDelete, SyncRecord};
use crate::sync::plan::COMPONENT_KINDS;

pub use config_file::{apply_config, ConfigAction, ConfigFile, ConfigItem, ConfigReport};
pub use connections::{Connection, ConnectionPatch, NewConnection, UNSUPPORTED_FIELDS};
pub use error::ControlError;
pub use notify::{
    Delivery, DeliveryOutcome, NewNotifyTarget, NotifyEvent, NotifySettings, NotifyTarget,
    NotifyTargetPatch, TargetKind,
};
pub use runner::RunAllProgress;
pub use runs::{RunSettings, RunStatus, SyncRun};
pub use syncs::{
    NewSync, SyncConfig, SyncOptionsInput, SyncPatch, SyncSettings, DESTINATION,
    DESTINATION_DOCS_ALIAS,
};
pub use validate::{MAX_DESCRIPTION_LEN, MAX_NAME_LEN};

pub use crate::client::DEFAULT_BASE_URL;
pub use crate::store::crypto::{MASTER_KEY_ENV, MASTER_KEY_FILE_SUFFIX};
pub use crate::store::RunKind;

/// Connections, syncs and runs over one state database. Cheap to clone.
#[derive(Clone)]
pub struct ControlPlane {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    key: MasterKey,
    /// Transport settings for every connection's client (token and base URL are set per connection).
    template: ClientBuilder,
    /// One client per connection, so pacing state is shared between runs: id -> (hash, base URL, client).
    clients: Mutex<HashMap<String, (String, String, Client)>>,
    /// Run notifications: settings, HTTP client, background deliveries in flight.
    notifier: notify::Notifier,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("store", &self.inner.store.location())
            .field("key", &self.inner.key)
            .finish_non_exhaustive()
    }
}

impl ControlPlane {
    /// Opens the control plane on `store`. The master key is `DO_ENVSYNC_MASTER_KEY`
    /// or `<db>.master.key` (created 0600 on first use); a key that does not match the
    /// one the database was set up with is refused here, before anything is decrypted.
    pub fn open(store: Arc<Store>) -> Result<Self, ControlError> {
        let may_create = !store.has_master_key_check()?;
        let key = store.master_key(may_create)?;
        Self::open_with(store, key, ClientBuilder::new())
    }

    /// Like [`open`](Self::open) (the same master key resolution) with `client_template`'s
    /// settings for every connection's client (e.g. a response observer for metrics).
    pub fn open_with_client(
        store: Arc<Store>,
        client_template: ClientBuilder,
    ) -> Result<Self, ControlError> {
        let may_create = !store.has_master_key_check()?;
        let key = store.master_key(may_create)?;
        Self::open_with(store, key, client_template)
    }

    /// Like [`open`](Self::open) with an explicit key and client settings (retries,
    /// timeouts, pacing) used for every connection's client.
    pub fn open_with(
        store: Arc<Store>,
        key: MasterKey,
        client_template: ClientBuilder,
    ) -> Result<Self, ControlError> {
        let stored = store.master_key_check(key.check_value())?;
        if stored != key.check_value() {
            return Err(CryptoError::WrongKey {
                origin: key.origin().to_string(),
            }
            .into());
        }
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                key,
                template: client_template,
                clients: Mutex::new(HashMap::new()),
                notifier: notify::Notifier::new(notify::NotifySettings::from_env()),
            }),
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    fn key(&self) -> &MasterKey {
        &self.inner.key
    }

    /// Runs a store operation off the async runtime's threads (a busy database may wait).
    async fn db<T, F>(&self, f: F) -> Result<T, ControlError>
    where
        F: FnOnce(&Store) -> Result<T, ControlError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| {
                ControlError::Sync(crate::sync::SyncError::Internal(format!(
                    "store task failed: {e}"
                )))
            })?
    }

    // ----- connections -------------------------------------------------------------

    /// A client for `token` at `base_url`, with input errors named by field.
    fn build_client(&self, token: &SecretString, base_url: &str) -> Result<Client, ControlError> {
        let config_message = |e: ApiError| match e {
            ApiError::Config(m) => m,
            other => other.to_string(),
        };
        // The base URL is judged on its own first, so a URL problem is not blamed on the token.
        self.inner
            .template
            .clone()
            .token("do-envsync-url-check")
            .base_url(base_url)
            .build()
            .map_err(|e| ControlError::invalid("baseUrl", config_message(e)))?;
        self.inner
            .template
            .clone()
            .token(token.expose_secret())
            .base_url(base_url)
            .build()
            .map_err(|e| ControlError::invalid("token", config_message(e)))
    }

    /// One cheap authenticated request: DigitalOcean's own message on failure.
    async fn check_token(client: &Client) -> Result<(), ControlError> {
        client
            .call::<Value>(&ACCOUNT_GET, &[], &[], None)
            .await
            .map(drop)
            .map_err(ControlError::Api)
    }

    fn connection_record(&self, id_or_name: &str) -> Result<ConnectionRecord, ControlError> {
        self.inner
            .store
            .find_connection(id_or_name)?
            .ok_or_else(|| ControlError::not_found("connection", id_or_name))
    }

    fn name_taken_by_connection(&self, name: &str) -> Result<bool, ControlError> {
        Ok(self
            .inner
            .store
            .find_connection(name)?
            .is_some_and(|c| c.name == name))
    }

    pub async fn create_connection(
        &self,
        input: NewConnection,
    ) -> Result<Connection, ControlError> {
        connections::check_new(&input)?;
        let base_url = input
            .base_url
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_BASE_URL)
            .to_owned();
        let client = self.build_client(&input.token, &base_url)?;
        if self.name_taken_by_connection(&input.name)? {
            return Err(ControlError::AlreadyExists {
                what: "connection",
                name: input.name,
            });
        }
        Self::check_token(&client).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = validate::now();
        let token = input.token.expose_secret();
        let rec = ConnectionRecord {
            token_sealed: self.key().seal(token.as_bytes(), &id),
            credentials_hash: self.key().credentials_hash(token),
            id,
            name: input.name,
            description: input.description,
            base_url,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let stored = rec.clone();
        self.db(move |s| Ok(s.insert_connection(&stored)?)).await?;
        Ok(Connection::from_record(&rec))
    }

    pub fn get_connection(&self, id_or_name: &str) -> Result<Connection, ControlError> {
        Ok(Connection::from_record(
            &self.connection_record(id_or_name)?,
        ))
    }

    pub fn list_connections(&self) -> Result<Vec<Connection>, ControlError> {
        Ok(self
            .inner
            .store
            .list_connections()?
            .iter()
            .map(Connection::from_record)
            .collect())
    }

    /// PATCH: only the given fields change; `version` increments and `updatedAt` moves.
    /// A new token (or a new base URL) is checked against the API first.
    pub async fn update_connection(
        &self,
        id_or_name: &str,
        patch: ConnectionPatch,
    ) -> Result<Connection, ControlError> {
        if patch.is_empty() {
            return Err(ControlError::invalid("patch", "no fields to update"));
        }
        connections::check_extra(&patch.extra)?;
        let current = self.connection_record(id_or_name)?;
        let mut rec = current.clone();
        if let Some(name) = patch.name {
            validate::check_name("name", &name)?;
            if name != current.name && self.name_taken_by_connection(&name)? {
                return Err(ControlError::AlreadyExists {
                    what: "connection",
                    name,
                });
            }
            rec.name = name;
        }
        if let Some(description) = patch.description {
            validate::check_description(description.as_deref())?;
            rec.description = description;
        }
        if let Some(base_url) = patch.base_url {
            rec.base_url = base_url
                .as_deref()
                .map(str::trim)
                .unwrap_or(DEFAULT_BASE_URL)
                .to_owned();
        }
        let new_hash = match &patch.token {
            Some(token) if token.expose_secret().trim().is_empty() => {
                return Err(ControlError::invalid("token", "is empty"))
            }
            Some(token) => Some(self.key().credentials_hash(token.expose_secret())),
            None => None,
        };
        let token_changed = new_hash
            .as_ref()
            .is_some_and(|h| *h != current.credentials_hash);
        let url_changed = rec.base_url != current.base_url;
        if token_changed || url_changed {
            let token = match &patch.token {
                Some(t) => t.clone(),
                None => self.open_token(&current)?,
            };
            let client = self.build_client(&token, &rec.base_url)?;
            Self::check_token(&client).await?;
        }
        if let (Some(token), Some(hash)) = (&patch.token, new_hash) {
            rec.token_sealed = self.key().seal(token.expose_secret().as_bytes(), &rec.id);
            rec.credentials_hash = hash;
        }
        rec.version = current.version + 1;
        rec.updated_at = validate::bump(current.updated_at);
        let stored = rec.clone();
        let expected = current.version;
        let updated = self
            .db(move |s| Ok(s.update_connection(&stored, expected)?))
            .await?;
        if !updated {
            return Err(ControlError::Concurrent {
                message: format!(
                    "connection {:?} was changed by another process meanwhile; try again",
                    current.name
                ),
            });
        }
        self.inner.clients.lock().remove(&rec.id);
        Ok(Connection::from_record(&rec))
    }

    /// Deletes a connection. Refused while a sync uses it unless `force`, which also
    /// deletes those syncs and their runs.
    pub fn delete_connection(
        &self,
        id_or_name: &str,
        force: bool,
    ) -> Result<Connection, ControlError> {
        let rec = self.connection_record(id_or_name)?;
        match self.inner.store.delete_connection(&rec.id, force)? {
            Ok(true) => {
                self.inner.clients.lock().remove(&rec.id);
                Ok(Connection::from_record(&rec))
            }
            Ok(false) => Err(ControlError::not_found("connection", id_or_name)),
            Err(users) => Err(ControlError::InUse {
                message: format!(
                    "connection {:?} is used by sync(s) {}; delete them first, or force the delete to remove them too",
                    rec.name,
                    users.join(", ")
                ),
            }),
        }
    }

    fn open_token(&self, rec: &ConnectionRecord) -> Result<SecretString, ControlError> {
        let bytes = self.key().open(
            &rec.token_sealed,
            &rec.id,
            &format!("the token of connection {:?}", rec.name),
        )?;
        let text = String::from_utf8(bytes).map_err(|_| CryptoError::Decrypt {
            what: format!("the token of connection {:?}", rec.name),
        })?;
        Ok(SecretString::from(text))
    }

    /// The API client of a connection (cached per connection while its token and base
    /// URL stay the same).
    pub fn client_for(&self, connection: &Connection) -> Result<Client, ControlError> {
        let rec = self.connection_record(&connection.id)?;
        if let Some((hash, url, client)) = self.inner.clients.lock().get(&rec.id) {
            if *hash == rec.credentials_hash && *url == rec.base_url {
                return Ok(client.clone());
            }
        }
        let client = self.build_client(&self.open_token(&rec)?, &rec.base_url)?;
        self.inner.clients.lock().insert(
            rec.id.clone(),
            (rec.credentials_hash, rec.base_url, client.clone()),
        );
        Ok(client)
    }

    /// The apps the connection's token can see: a lazy cursor over `GET /v2/apps`
    /// (200 per page, following `links.pages.next`), with the connection's sealed token
    /// and base URL. No request is made until the first page is asked for.
    pub fn connection_apps(&self, id_or_name: &str) -> Result<Pages, ControlError> {
        let connection = self.get_connection(id_or_name)?;
        let client = self.client_for(&connection)?;
        let list = operation("list").expect("the operation table has apps_list");
        Ok(client.pages(list, &[], &[]))
    }

    // ----- syncs -------------------------------------------------------------------

    fn sync_record(&self, id_or_name: &str) -> Result<SyncRecord, ControlError> {
        self.inner
            .store
            .find_sync(id_or_name)?
            .ok_or_else(|| ControlError::not_found("sync", id_or_name))
    }

    fn name_taken_by_sync(&self, name: &str) -> Result<bool, ControlError> {
        Ok(self
            .inner
            .store
            .find_sync(name)?
            .is_some_and(|s| s.name == name))
    }

    /// Finds the app by id (`GET /v2/apps/{id}`) when `app` is a UUID, else by
    /// `spec.name` in the app list. Returns (id, name, spec).
    async fn resolve_app(
        client: &Client,
        app: &str,
    ) -> Result<(String, String, Value), ControlError> {
        let app_op = |name| operation(name).expect("the operation table has the apps operations");
        let found = if uuid::Uuid::parse_str(app).is_ok() {
            match client
                .call::<Value>(app_op("get"), &[("id", app)], &[], None)
                .await
            {
                Ok(mut v) => Some(v["app"].take()),
                Err(ApiError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            let mut items = Box::pin(client.pages(app_op("list"), &[], &[]).into_item_stream());
            let mut found = None;
            while let Some(item) = items.next().await {
                let item = item?;
                if item["spec"]["name"].as_str() == Some(app) {
                    found = Some(item);
                    break;
                }
            }
            found
        };
        let mut found = found.ok_or_else(|| ControlError::not_found("app", app))?;
        let id = found["id"].as_str().unwrap_or_default().to_owned();
        let spec = found["spec"].take();
        let name = spec["name"].as_str().unwrap_or_default().to_owned();
        if id.is_empty() || !spec.is_object() {
            return Err(ControlError::invalid(
                "app",
                format!("DigitalOcean's answer for app {app:?} has no id or spec"),
            ));
        }
        Ok((id, name, spec))
    }

    fn check_components(settings: &SyncSettings, spec: &Value) -> Result<(), ControlError> {
        let Some(wanted) = &settings.components else {
            return Ok(());
        };
        let available: Vec<&str> = COMPONENT_KINDS
            .iter()
            .filter_map(|kind| spec[*kind].as_array())
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        for name in wanted {
            if !available.contains(&name.as_str()) {
                return Err(ControlError::invalid(
                    "syncOptions.components",
                    format!(
                        "the app has no component {name:?}; it has: {}",
                        if available.is_empty() {
                            "no components".to_owned()
                        } else {
                            available.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Refuses `rec` when another sync of the same app would manage a common key.
    fn check_overlap(
        rec_name: &str,
        settings: &SyncSettings,
        others: &[SyncRecord],
    ) -> Result<(), ControlError> {
        let mine = settings.managed()?;
        for other in others {
            let theirs = SyncSettings::from_stored(&other.options)?.managed()?;
            let shared = overlap::conflict(&mine, &theirs);
            if !shared.is_empty() {
                return Err(ControlError::Overlap {
                    message: format!(
                        "sync {rec_name:?} would fight sync {:?} over keys of app {:?} ({}): their targets ({}) and key schemas overlap; give them disjoint key schemas or components",
                        other.name,
                        other.app_name,
                        other.app_id,
                        shared.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    fn parse_source(value: &Value, base_dir: &std::path::Path) -> Result<SourceSpec, ControlError> {
        // `invalid source: ...` already names the field; other errors (a missing or
        // malformed .env file) get it prepended.
        let invalid = |e: crate::sources::SourceError| match e {
            crate::sources::SourceError::Invalid(message) => {
                ControlError::invalid("source", message)
            }
            other => ControlError::invalid("source", other.to_string()),
        };
        let spec = SourceSpec::from_json_in(value, base_dir).map_err(invalid)?;
        spec.check().map_err(invalid)?;
        Ok(spec)
    }

    fn seal_source(&self, spec: &SourceSpec, sync_id: &str) -> (String, Option<Vec<u8>>) {
        let (public, secret) = spec.split();
        let sealed = secret.map(|s| self.key().seal(s.to_string().as_bytes(), sync_id));
        (public.to_string(), sealed)
    }

    /// The sync's full source (its secret part decrypted).
    pub fn source_of(&self, sync: &SyncConfig) -> Result<SourceSpec, ControlError> {
        let rec = self.sync_record(&sync.id)?;
        self.source_of_record(&rec)
    }

    fn source_of_record(&self, rec: &SyncRecord) -> Result<SourceSpec, ControlError> {
        let public: Value = serde_json::from_str(&rec.source_public)
            .map_err(|e| ControlError::invalid("stored source", e.to_string()))?;
        let what = format!("the source secrets of sync {:?}", rec.name);
        let secret = match &rec.source_secret {
            Some(sealed) => {
                let bytes = self.key().open(sealed, &rec.id, &what)?;
                Some(
                    serde_json::from_slice::<Value>(&bytes)
                        .map_err(|_| CryptoError::Decrypt { what: what.clone() })?,
                )
            }
            None => None,
        };
        Ok(SourceSpec::join(&public, secret.as_ref())?)
    }

    pub async fn create_sync(&self, input: NewSync) -> Result<SyncConfig, ControlError> {
        validate::check_name("name", &input.name)?;
        validate::check_description(input.description.as_deref())?;
        syncs::check_secret_path(input.secret_path.as_deref())?;
        let settings = SyncSettings::default().merged(&input.options)?;
        settings.managed()?;
        let source = Self::parse_source(&input.source, &input.base_dir)?;
        let connection = self.get_connection(&input.connection)?;
        if self.name_taken_by_sync(&input.name)? {
            return Err(ControlError::AlreadyExists {
                what: "sync",
                name: input.name,
            });
        }
        let client = self.client_for(&connection)?;
        let (app_id, app_name, spec) = Self::resolve_app(&client, &input.app).await?;
        Self::check_components(&settings, &spec)?;
        let id = uuid::Uuid::new_v4().to_string();
        let (source_public, source_secret) = self.seal_source(&source, &id);
        let now = validate::now();
        let rec = SyncRecord {
            id,
            name: input.name,
            description: input.description,
            connection_id: connection.id,
            connection_name: connection.name,
            app_id,
            app_name,
            source_public,
            source_secret,
            options: settings.to_stored(),
            secret_path: input.secret_path,
            is_enabled: input.is_enabled.unwrap_or(true),
            version: 1,
            created_at: now,
            updated_at: now,
            last_sync: Default::default(),
            last_remove: Default::default(),
        };
        let stored = rec.clone();
        self.db(move |s| {
            s.insert_sync(&stored, |others| {
                Self::check_overlap(&stored.name, &settings, others)
            })
        })
        .await?;
        SyncConfig::from_record(&rec)
    }

    pub fn get_sync(&self, id_or_name: &str) -> Result<SyncConfig, ControlError> {
        SyncConfig::from_record(&self.sync_record(id_or_name)?)
    }

    pub fn list_syncs(&self) -> Result<Vec<SyncConfig>, ControlError> {
        self.inner
            .store
            .list_syncs()?
            .iter()
            .map(SyncConfig::from_record)
            .collect()
    }

    /// PATCH: only the given fields change, the result is validated as a whole;
    /// `version` increments. A new connection, app or component list resolves the app
    /// again (one request).
    pub async fn update_sync(
        &self,
        id_or_name: &str,
        patch: SyncPatch,
    ) -> Result<SyncConfig, ControlError> {
        if patch.is_empty() {
            return Err(ControlError::invalid("patch", "no fields to update"));
        }
        let current = self.sync_record(id_or_name)?;
        let current_settings = SyncSettings::from_stored(&current.options)?;
        let mut rec = current.clone();
        if let Some(name) = patch.name {
            validate::check_name("name", &name)?;
            if name != current.name && self.name_taken_by_sync(&name)? {
                return Err(ControlError::AlreadyExists { what: "sync", name });
            }
            rec.name = name;
        }
        if let Some(description) = patch.description {
            validate::check_description(description.as_deref())?;
            rec.description = description;
        }
        if let Some(secret_path) = patch.secret_path {
            syncs::check_secret_path(secret_path.as_deref())?;
            rec.secret_path = secret_path;
        }
        if let Some(enabled) = patch.is_enabled {
            rec.is_enabled = enabled;
        }
        let settings = current_settings.merged(&patch.options)?;
        settings.managed()?;
        if let Some(source) = &patch.source {
            let base_dir = match patch.base_dir {
                Some(dir) => dir,
                None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            };
            let spec = Self::parse_source(source, &base_dir)?;
            (rec.source_public, rec.source_secret) = self.seal_source(&spec, &rec.id);
        }
        let connection = match &patch.connection {
            Some(c) => self.get_connection(c)?,
            None => self.get_connection(&current.connection_id)?,
        };
        rec.connection_id = connection.id.clone();
        rec.connection_name = connection.name.clone();
        let reresolve =
            patch.connection.is_some() || patch.app.is_some() || patch.options.components.is_some();
        if reresolve {
            let client = self.client_for(&connection)?;
            let app = patch.app.as_deref().unwrap_or(&current.app_id);
            let (app_id, app_name, spec) = Self::resolve_app(&client, app).await?;
            Self::check_components(&settings, &spec)?;
            rec.app_id = app_id;
            rec.app_name = app_name;
        }
        rec.options = settings.to_stored();
        rec.version = current.version + 1;
        rec.updated_at = validate::bump(current.updated_at);
        let stored = rec.clone();
        let expected = current.version;
        let updated = self
            .db(move |s| {
                s.update_sync(&stored, expected, |others| {
                    Self::check_overlap(&stored.name, &settings, others)
                })
            })
            .await?;
        if !updated {
            return Err(ControlError::Concurrent {
                message: format!(
                    "sync {:?} was changed by another process meanwhile; try again",
                    current.name
                ),
            });
        }
        // Status fields may have moved meanwhile (a run); return what is stored now.
        self.get_sync(&rec.id)
    }

    /// Removes the sync's secrets from its app (as [`remove_secrets`](Self::remove_secrets):
    /// only the keys it owns, at most one PUT, recorded as a run), then deletes the sync
    /// and its runs. Returns the sync as it was just before the delete (its `removeStatus`
    /// and `lastRemove*` fields describe the removal) and the removal run.
    ///
    /// When the removal fails, the sync is kept and
    /// [`ControlError::RemoveBeforeDeleteFailed`] says why. When a sync run started
    /// meanwhile (it may have put keys back), the sync is kept too
    /// ([`ControlError::Concurrent`]).
    pub async fn delete_sync_removing_secrets(
        &self,
        id_or_name: &str,
        settings: &RunSettings,
    ) -> Result<(SyncConfig, SyncRun), ControlError> {
        let rec = self.sync_record(id_or_name)?;
        let last_sync_job = rec.last_sync.job_id.clone();
        let run = match self.remove_secrets(&rec.id, settings).await {
            Ok(run) => run,
            Err(ControlError::RunFailed { run, cause }) => {
                return Err(ControlError::RemoveBeforeDeleteFailed {
                    name: rec.name,
                    run,
                    cause,
                })
            }
            Err(other) => return Err(other),
        };
        let config = self.get_sync(&rec.id)?;
        let id = rec.id.clone();
        let outcome = self
            .db(move |s| Ok(s.delete_sync_unless_ran(&id, last_sync_job.as_deref())?))
            .await?;
        match outcome {
            SyncDelete::Deleted => Ok((config, run)),
            SyncDelete::Missing => Err(ControlError::not_found("sync", id_or_name)),
            SyncDelete::RanMeanwhile => Err(ControlError::Concurrent {
                message: format!(
                    "sync {:?} ran while its secrets were being removed, so it was not deleted (the run may have put keys back); delete it again",
                    rec.name
                ),
            }),
        }
    }

    /// Deletes the sync and its runs. The app and its env vars are left as they are.
    pub fn delete_sync(&self, id_or_name: &str) -> Result<SyncConfig, ControlError> {
        let rec = self.sync_record(id_or_name)?;
        let config = SyncConfig::from_record(&rec)?;
        if !self.inner.store.delete_sync(&rec.id)? {
            return Err(ControlError::not_found("sync", id_or_name));
        }
        Ok(config)
    }
}
