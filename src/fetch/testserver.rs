//! The fetch module's unit-test loopback server (the same file the integration tests use, in
//! tests/it/harness/http.rs) and their fetch configuration.

use std::time::Duration;

use super::FetchConfig;

#[path = "../../tests/it/harness/http.rs"]
mod http;

pub use http::{free_port as closed_port, respond, TestServer};

/// Production defaults shrunk for tests: short timeouts and waits, no proxy, no progress bar.
pub fn test_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retry_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_millis(200),
        host_delay: Duration::from_millis(0),
        use_system_proxy: false,
        progress: false,
        ..FetchConfig::default()
    }
}
