//! WhatsApp's media encryption, as WASender media arrive: the file at the media URL is
//! `AES-256-CBC(plaintext) || mac`, where
//!
//! * `HKDF-SHA256(ikm = mediaKey, salt = none, info = "WhatsApp <Type> Keys")` gives 112
//!   bytes: the IV (16), the AES key (32), the MAC key (32) and a reference key (32, unused);
//! * `mac` is the first 10 bytes of `HMAC-SHA256(mac key, iv || ciphertext)`;
//! * the padding is PKCS#7;
//! * `fileEncSha256` is the SHA-256 of the whole downloaded file, `fileSha256` that of the
//!   plaintext.
//!
//! [`decrypt`] checks the MAC (in constant time) before it decrypts anything. [`encrypt`] is
//! the same scheme the other way, for fixtures and tests.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hkdf::Hkdf;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<Sha256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// Bytes of the MAC at the end of an encrypted file.
pub const MAC_LEN: usize = 10;

/// Why a media file could not be decrypted. Names the check, never the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The media key is not 32 bytes of base64.
    #[error("media key is not 32 bytes of base64")]
    Key,
    /// The file is too short or not a whole number of blocks.
    #[error("encrypted file has an invalid length")]
    Length,
    /// The MAC does not match: altered, truncated, or another key.
    #[error("encrypted file fails its mac check")]
    Mac,
    /// The padding is invalid after decryption.
    #[error("decrypted file has invalid padding")]
    Padding,
}

struct Keys {
    iv: [u8; 16],
    cipher: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

fn expand(media_key: &[u8], info: &str) -> Result<Keys, MediaError> {
    if media_key.len() != 32 {
        return Err(MediaError::Key);
    }
    let hk = Hkdf::<Sha256>::new(None, media_key);
    let mut okm = Zeroizing::new([0u8; 112]);
    hk.expand(info.as_bytes(), okm.as_mut())
        .map_err(|_| MediaError::Key)?;
    let mut keys = Keys {
        iv: [0; 16],
        cipher: Zeroizing::new([0; 32]),
        mac: Zeroizing::new([0; 32]),
    };
    keys.iv.copy_from_slice(&okm[..16]);
    keys.cipher.copy_from_slice(&okm[16..48]);
    keys.mac.copy_from_slice(&okm[48..80]);
    Ok(keys)
}

fn mac_of(keys: &Keys, ciphertext: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = HmacSha256::new_from_slice(keys.mac.as_ref())
        .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(&keys.iv);
    mac.update(ciphertext);
    mac
}

/// Decodes a base64 `mediaKey`.
///
/// # Errors
/// [`MediaError::Key`] unless it is 32 bytes of standard base64.
pub fn media_key(b64: &str) -> Result<Zeroizing<Vec<u8>>, MediaError> {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| MediaError::Key)?;
    if key.len() != 32 {
        return Err(MediaError::Key);
    }
    Ok(Zeroizing::new(key))
}

/// Checks the MAC of `file` and decrypts it.
///
/// # Errors
/// [`MediaError`] naming the check that failed.
pub fn decrypt(media_key: &[u8], info: &str, file: &[u8]) -> Result<Vec<u8>, MediaError> {
    let keys = expand(media_key, info)?;
    if file.len() < MAC_LEN + 16 || !(file.len() - MAC_LEN).is_multiple_of(16) {
        return Err(MediaError::Length);
    }
    let (ciphertext, tag) = file.split_at(file.len() - MAC_LEN);
    mac_of(&keys, ciphertext)
        .verify_truncated_left(tag)
        .map_err(|_| MediaError::Mac)?;
    let plain = Aes256CbcDec::new_from_slices(keys.cipher.as_ref(), &keys.iv)
        .map_err(|_| MediaError::Key)?
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .map_err(|_| MediaError::Padding)?;
    Ok(plain)
}

/// Encrypts `plaintext` as WhatsApp does (for fixtures and tests).
///
/// # Errors
/// [`MediaError::Key`] for a key that is not 32 bytes.
pub fn encrypt(media_key: &[u8], info: &str, plaintext: &[u8]) -> Result<Vec<u8>, MediaError> {
    let keys = expand(media_key, info)?;
    let mut out = Aes256CbcEnc::new_from_slices(keys.cipher.as_ref(), &keys.iv)
        .map_err(|_| MediaError::Key)?
        .encrypt_padded_vec::<Pkcs7>(plaintext);
    let tag = mac_of(&keys, &out).finalize().into_bytes();
    out.extend_from_slice(&tag[..MAC_LEN]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_check() {
        let key = [7u8; 32];
        let file = encrypt(&key, "WhatsApp Image Keys", b"png bytes here").unwrap();
        assert_eq!((file.len() - MAC_LEN) % 16, 0);
        assert_eq!(
            decrypt(&key, "WhatsApp Image Keys", &file).unwrap(),
            b"png bytes here"
        );
        assert_eq!(
            decrypt(&key, "WhatsApp Video Keys", &file),
            Err(MediaError::Mac)
        );
        let mut flipped = file.clone();
        flipped[3] ^= 1;
        assert_eq!(
            decrypt(&key, "WhatsApp Image Keys", &flipped),
            Err(MediaError::Mac)
        );
        assert_eq!(
            decrypt(&key, "WhatsApp Image Keys", &file[..20]),
            Err(MediaError::Length)
        );
        assert_eq!(
            decrypt(&[1; 16], "WhatsApp Image Keys", &file),
            Err(MediaError::Key)
        );
        assert!(media_key("c2VjcmV0").is_err());
    }
}
