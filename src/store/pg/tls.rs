//! Connection settings and TLS, with libpq's meaning of `sslmode` and `sslrootcert`
//! (which tokio-postgres does not parse itself):
//! - `disable`: no TLS;
//! - `prefer` (the default) and `require`: TLS (`prefer` falls back to plain), the
//!   server's certificate checked against `sslrootcert` when one is given, else not
//!   checked (libpq's behaviour);
//! - `verify-ca` and `verify-full`: TLS, the certificate checked against `sslrootcert`
//!   or the system's roots, and the host name checked (rustls always checks it).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::location::PgUrl;
use super::StoreError;

fn bad(problem: impl Into<String>) -> StoreError {
    StoreError::BadUrl {
        problem: problem.into(),
    }
}

/// The driver's config (the URL without the TLS parameters handled here) and the
/// TLS connector, `None` for `sslmode=disable`.
pub(super) fn configure(
    url: &PgUrl,
) -> Result<(tokio_postgres::Config, Option<MakeRustlsConnect>), StoreError> {
    let mut parsed = url::Url::parse(url.expose()).map_err(|e| bad(e.to_string()))?;
    let mut mode = "prefer".to_owned();
    let mut root_cert = None;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter_map(|(k, v)| match k.as_ref() {
            "sslmode" => {
                mode = v.into_owned();
                None
            }
            "sslrootcert" => {
                root_cert = Some(v.into_owned());
                None
            }
            _ => Some((k.into_owned(), v.into_owned())),
        })
        .collect();
    parsed.set_query(None);
    if !kept.is_empty() {
        parsed.query_pairs_mut().extend_pairs(kept);
    }
    // The driver's parse errors never quote the password (they name the parameter).
    let mut config: tokio_postgres::Config = parsed
        .as_str()
        .parse()
        .map_err(|e: tokio_postgres::Error| bad(e.to_string()))?;
    config.connect_timeout(super::CONNECT_TIMEOUT);
    if config.get_application_name().is_none() {
        config.application_name("do-envsync");
    }
    let verify = match mode.as_str() {
        "disable" => {
            config.ssl_mode(SslMode::Disable);
            return Ok((config, None));
        }
        "allow" | "prefer" => {
            config.ssl_mode(SslMode::Prefer);
            false
        }
        "require" => {
            config.ssl_mode(SslMode::Require);
            false
        }
        "verify-ca" | "verify-full" => {
            config.ssl_mode(SslMode::Require);
            true
        }
        other => {
            return Err(bad(format!(
                "unknown sslmode {other:?} (disable, prefer, require, verify-ca or verify-full)"
            )))
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS setup: {e}")))?;
    let roots = match (&root_cert, verify) {
        (Some(path), _) => Some(roots_from_file(path)?),
        (None, true) => Some(system_roots()?),
        (None, false) => None,
    };
    let tls = match roots {
        Some(roots) => builder.with_root_certificates(roots).with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerifier(provider)))
            .with_no_client_auth(),
    };
    Ok((config, Some(MakeRustlsConnect::new(tls))))
}

fn roots_from_file(path: &str) -> Result<RootCertStore, StoreError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad(format!(
            "sslrootcert {path}: no certificate in the file"
        )));
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, StoreError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        return Err(bad(
            "sslmode=verify-full needs sslrootcert=<CA file>: no system root certificate found",
        ));
    }
    Ok(roots)
}

/// `sslmode=require` without `sslrootcert`: encrypted, the certificate not checked
/// (as libpq does); signatures are still verified so the handshake is sound.
#[derive(Debug)]
struct NoVerifier(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
