//! Flexpa's `usage`, shared by both sides: Link's config option (browser) and the consent
//! flow's authorization URL (`pkce`).

/// The `usage` option: whether the app reads the data once or keeps access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    /// `"ONE_TIME"`: a single read; no refresh token.
    OneTime,
    /// `"MULTIPLE"`: continued access; the exchange also returns a refresh token.
    Multiple,
}

impl Usage {
    /// The value Flexpa expects: `"ONE_TIME"` or `"MULTIPLE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::OneTime => "ONE_TIME",
            Usage::Multiple => "MULTIPLE",
        }
    }
}
