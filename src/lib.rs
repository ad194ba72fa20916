//! do-envsync: a typed DigitalOcean App Platform client, an env-sync engine and an emulator.
pub mod client;
pub mod control;
pub mod emulator;
pub mod models;
#[cfg(feature = "python")]
mod py;
pub mod server;
pub mod sources;
pub mod store;
pub mod sync;
