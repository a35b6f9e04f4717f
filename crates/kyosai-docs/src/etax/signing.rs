//! The key that signs the e-Tax XML: an RSA private key and its X.509 certificate, read from one
//! PEM file (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, then the `CERTIFICATE` and any
//! chain), or generated self-signed for a demo server.
//!
//! Signatures are made by ring (constant-time RSA); the `rsa` crate only generates a demo key,
//! once, off any request path (its private-key operations carry RUSTSEC-2023-0071).

use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::EtaxError;

/// A loaded signing key with the certificate(s) published with each signature.
#[derive(Debug)]
pub struct SigningKey {
    key: RsaKeyPair,
    /// DER of the signer's certificate first, then the chain, as in the PEM file.
    certificates: Vec<Vec<u8>>,
    rng: SystemRandom,
}

impl SigningKey {
    /// Reads a PEM file holding the private key and the certificate.
    pub fn from_pem_file(path: &Path) -> Result<Self, EtaxError> {
        let text =
            std::fs::read(path).map_err(|e| EtaxError::Key(format!("{}: {e}", path.display())))?;
        Self::from_pem(&text)
    }

    /// Parses PEM text holding the private key and the certificate (in any order).
    pub fn from_pem(text: &[u8]) -> Result<Self, EtaxError> {
        let blocks = pem::parse_many(text).map_err(|e| EtaxError::Key(e.to_string()))?;
        let mut key = None;
        let mut certificates = Vec::new();
        for b in blocks {
            match b.tag() {
                "PRIVATE KEY" => {
                    key = Some(
                        RsaKeyPair::from_pkcs8(b.contents())
                            .map_err(|e| EtaxError::Key(format!("PKCS#8 RSA key: {e}")))?,
                    );
                }
                "RSA PRIVATE KEY" => {
                    key = Some(
                        RsaKeyPair::from_der(b.contents())
                            .map_err(|e| EtaxError::Key(format!("PKCS#1 RSA key: {e}")))?,
                    );
                }
                "CERTIFICATE" => certificates.push(b.contents().to_vec()),
                other => {
                    return Err(EtaxError::Key(format!(
                        "unexpected PEM block {other:?} (encrypted keys are not supported)"
                    )));
                }
            }
        }
        let key = key.ok_or_else(|| EtaxError::Key("no RSA private key in the PEM".into()))?;
        let signer = certificates
            .first()
            .ok_or_else(|| EtaxError::Key("no certificate in the PEM".into()))?;
        // The certificate's SubjectPublicKeyInfo holds the key's PKCS#1 RSAPublicKey DER
        // verbatim in its BIT STRING: a certificate of another key would make every signature
        // fail verification, so refuse it at load time instead.
        let public = key.public().as_ref();
        if !signer.windows(public.len()).any(|w| w == public) {
            return Err(EtaxError::Key(
                "the first certificate is not the private key's certificate".into(),
            ));
        }
        Ok(Self {
            key,
            certificates,
            rng: SystemRandom::new(),
        })
    }

    /// A new 2048-bit RSA key with a self-signed certificate, as PEM text (key, then
    /// certificate) for [`SigningKey::from_pem`]. For demo servers: a tax office will not trust
    /// it, but a third party can still check the XML against the published certificate.
    pub fn generate_self_signed_pem(common_name: &str) -> Result<String, EtaxError> {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .map_err(|e| EtaxError::Key(format!("RSA key generation: {e}")))?;
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| EtaxError::Key(format!("PKCS#8 encoding: {e}")))?;
        let pair = rcgen::KeyPair::from_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| EtaxError::Key(format!("certificate key: {e}")))?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| EtaxError::Key(format!("certificate: {e}")))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let cert = params
            .self_signed(&pair)
            .map_err(|e| EtaxError::Key(format!("certificate: {e}")))?;
        Ok(format!("{}{}", key_pem.as_str(), cert.pem()))
    }

    /// Reads the PEM at `path`, or, when there is none, generates a self-signed key there
    /// first (owner-only permissions) so a demo server keeps one key across restarts.
    pub fn load_or_generate(path: &Path, common_name: &str) -> Result<Self, EtaxError> {
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| EtaxError::Key(format!("{}: {e}", dir.display())))?;
            }
            let pem = Self::generate_self_signed_pem(common_name)?;
            write_private(path, pem.as_bytes())
                .map_err(|e| EtaxError::Key(format!("{}: {e}", path.display())))?;
        }
        Self::from_pem_file(path)
    }

    /// The signer's certificate as PEM, to publish.
    pub fn certificate_pem(&self) -> String {
        self.certificates
            .iter()
            .map(|der| pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())))
            .collect()
    }

    pub(super) fn certificates_der(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EtaxError> {
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| EtaxError::Key("RSA signing failed".into()))?;
        Ok(signature)
    }
}

/// Writes a new file readable by its owner only (the private key is in it).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}
