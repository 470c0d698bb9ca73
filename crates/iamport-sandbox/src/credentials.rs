//! The key pair of the built-in fixture set ([`Fixtures::default_set`](crate::Fixtures::default_set),
//! `fixtures/default.yaml`), for tests, benchmarks and examples that talk to a sandbox serving it.
//! Sandbox-only and public: they open nothing but a sandbox.

/// `imp_key` of the built-in fixture set.
pub const IMP_KEY: &str = "1234567890123456";
/// `imp_secret` of the built-in fixture set.
pub const IMP_SECRET: &str = "sandbox-secret-do-not-use-in-production-0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn they_are_the_built_in_fixture_set_s_only_key_pair() {
        let secrets = crate::Fixtures::default_set().credentials.secrets_by_key();
        assert_eq!(secrets.len(), 1, "one key pair in fixtures/default.yaml");
        assert_eq!(secrets.get(IMP_KEY).map(String::as_str), Some(IMP_SECRET));
    }
}
