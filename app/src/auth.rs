//! Who is signed in, as the pages see it, and the return-path rule for sign-in.
//!
//! On the server, the signed-in user was resolved by the server's session middleware and put in
//! the request's extensions; components read it from there synchronously. In the browser there is
//! no user (islands get what they need as props).

use serde::{Deserialize, Serialize};

/// The signed-in user, as pages show it: nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub email: String,
    pub display_name: Option<String>,
    /// Whether they may open the operator console.
    pub is_admin: bool,
}

impl CurrentUser {
    /// The display name, else the email.
    pub fn label(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| self.email.clone())
    }
}

/// The signed-in user of the current request, if any.
pub fn current_user() -> Option<CurrentUser> {
    #[cfg(feature = "ssr")]
    {
        let parts = leptos::prelude::use_context::<http::request::Parts>()?;
        let user = parts.extensions.get::<backend::auth::User>()?;
        Some(CurrentUser {
            email: user.email.to_string(),
            display_name: user.display_name.clone(),
            is_admin: user.role == backend::auth::Role::Admin,
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Where to go after signing in: `next` if it is a path on this site, else `/account`.
///
/// Only absolute paths are accepted: not `//evil.example` (protocol-relative), not `/\evil`
/// (browsers treat `\` as `/`), not `https://…`, and nothing with control characters.
pub fn safe_return_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn only_same_site_paths_are_accepted_as_return_targets() {
        assert_eq!(safe_return_path(Some("/account")), "/account");
        assert_eq!(
            safe_return_path(Some("/pricing?plan=pro")),
            "/pricing?plan=pro"
        );
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "account",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_return_path(Some(hostile)), "/account", "{hostile:?}");
        }
        assert_eq!(safe_return_path(None), "/account");
    }
}
