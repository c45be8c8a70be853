//! Streaming SHA-256 media integrity, RFC 8785 template snapshots, archive keys and an RFC 6962 tamper-evident log
#![forbid(unsafe_code)]
