//! Typed, forward-compatible, zero-copy models of WhatsApp webhook payloads (Meta Cloud API and WASenderApi)
#![forbid(unsafe_code)]
