//! What every operation is handed besides its inputs: who is calling.

use axum::http::HeaderMap;

/// The request as the implementation may need it beyond the decoded inputs: the access token the
/// caller presented (already accepted by [`IamportApi::authorize`](crate::IamportApi::authorize) on
/// secured operations) and the request's headers (e.g. a `Tier` header of a sub-merchant).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestContext {
    /// The access token sent with the request, if any.
    pub token: Option<String>,
    /// The request's headers.
    pub headers: HeaderMap,
}

impl RequestContext {
    pub fn new(token: Option<String>, headers: HeaderMap) -> Self {
        Self { token, headers }
    }

    /// The status asked for with `Prefer: code=NNN` (Prism's convention, e.g. `Prefer: code=404`),
    /// which the trait's default methods answer with that status's example from the spec.
    pub fn preferred_status(&self) -> Option<u16> {
        self.headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split([',', ';']))
            .find_map(|pref| {
                let (key, value) = pref.split_once('=')?;
                (key.trim().eq_ignore_ascii_case("code"))
                    .then(|| value.trim().trim_matches('"').parse().ok())
                    .flatten()
            })
    }
}
