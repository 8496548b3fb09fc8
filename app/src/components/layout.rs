//! The frame every page sits in: skip link, header with navigation, main content, footer.

use leptos::prelude::*;

use leptos_router::hooks::use_location;

use crate::{
    auth::current_user,
    components::nav::SiteNav,
    server_fns::{
        organizations::{acting_choices, SwitchAccount},
        session::SignOut,
    },
};

/// Wraps a page in the site header and footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="container site-header__inner">
                <a class="brand" href="/" aria-label="Tollgate home">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"Tollgate"</span>
                </a>
                <SiteNav>
                    <li><a href="/#features">"Features"</a></li>
                    <li><a href="/#how-it-works">"How it works"</a></li>
                    <li><a href="/pricing">"Pricing"</a></li>
                    <AccountLinks />
                </SiteNav>
            </div>
        </header>
        <main id="main" class="site-main">{children()}</main>
        <footer class="site-footer">
            <div class="container site-footer__inner">
                <p>"Tollgate — subscriptions for Rust web apps."</p>
                <p class="muted">"Built with Leptos, axum and Postgres."</p>
            </div>
        </footer>
    }
}

/// Whether the partner program is on (`PARTNERS_ENABLED`): its page is then in the header.
fn partners_open() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<backend::AppState>().is_some_and(|state| state.config.partners_enabled)
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// For a member of organizations: whom they act for (themselves or one organization), and a
/// plain form that switches (it works without JavaScript).
#[component]
fn AccountSwitcher() -> impl IntoView {
    let choices = Resource::new(|| (), |_| acting_choices());
    let switch = ServerAction::<SwitchAccount>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let accounts = choices.await.ok()?;
                if accounts.organizations.is_empty() {
                    return None;
                }
                let current = accounts.current.clone();
                Some(view! {
                    <li class="site-nav__switcher">
                        <ActionForm action=switch attr:class="inline-form">
                            <label for="acting-for">"Acting for"</label>
                            <select id="acting-for" name="account">
                                <option value="personal" selected=current.is_none()>"Personal account"</option>
                                {accounts.organizations.into_iter().map(|organization| {
                                    let selected = current.as_deref() == Some(organization.id.as_str());
                                    view! { <option value=organization.id selected=selected>{organization.name}</option> }
                                }).collect_view()}
                            </select>
                            <button type="submit" class="button button--secondary">"Switch"</button>
                        </ActionForm>
                    </li>
                })
            })}
        </Suspense>
    }
}

/// The header's account links: Sign in / Sign up, or the user's name, Account and Sign out (and
/// Partners, when the program is on; Console, for admins only).
#[component]
fn AccountLinks() -> impl IntoView {
    match current_user() {
        Some(user) => {
            let sign_out = ServerAction::<SignOut>::new();
            view! {
                <li class="site-nav__user">{user.label()}</li>
                <AccountSwitcher />
                <li><a href="/dashboard">"Dashboard"</a></li>
                <li><a href="/account">"Account"</a></li>
                <li><a href="/organization">"Organization"</a></li>
                {partners_open().then(|| view! { <li><a href="/partners">"Partners"</a></li> })}
                {user.is_admin.then(|| view! { <li><a href="/admin">"Console"</a></li> })}
                <li>
                    <ActionForm action=sign_out>
                        <button type="submit" class="link-button">"Sign out"</button>
                    </ActionForm>
                </li>
            }
            .into_any()
        }
        None => {
            // Come back here after signing in (not to the auth pages themselves).
            let path = use_location().pathname.get_untracked();
            let signin = if path == "/" || path.starts_with("/sign") {
                "/signin".to_owned()
            } else {
                format!("/signin?next={}", crate::pages::encode(&path))
            };
            view! {
                <li><a href=signin>"Sign in"</a></li>
                <li><a class="button" href="/signup">"Sign up"</a></li>
            }
            .into_any()
        }
    }
}
