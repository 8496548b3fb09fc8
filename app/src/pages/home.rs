//! The landing page: what Tollgate is and how it works.

use leptos::prelude::*;
use leptos_meta::Title;

/// One feature card on the landing page.
struct Feature {
    title: &'static str,
    body: &'static str,
}

const FEATURES: [Feature; 6] = [
    Feature {
        title: "Pricing from Stripe",
        body: "Products and prices live in Stripe and are mirrored into Postgres, so the pricing page renders without a round trip.",
    },
    Feature {
        title: "Checkout and portal",
        body: "Subscriptions, one-time purchases, trials, plan changes and cancellation through Stripe's hosted pages.",
    },
    Feature {
        title: "Webhooks that converge",
        body: "Signed, deduplicated and order-independent: the database always ends up matching Stripe.",
    },
    Feature {
        title: "Entitlements on the server",
        body: "Features are gated where it matters — in every handler — not only in the browser.",
    },
    Feature {
        title: "Works offline",
        body: "A built-in Stripe emulator with hosted pages, signed webhooks and test clocks. No account needed to try it.",
    },
    Feature {
        title: "Fast pages",
        body: "Server-rendered HTML and one small stylesheet: no page loads a script it does not need.",
    },
];

/// `/`: the landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="hero">
            <div class="container">
                <h1>"Subscriptions for your Rust product"</h1>
                <p class="lead">
                    "Tollgate is a full-stack starter: accounts, pricing, checkout and billing, "
                    "kept in sync with Stripe and enforced on the server."
                </p>
                <p class="hero__cta">
                    <a class="button" href="/pricing">"See the plans"</a>
                    " "
                    <a class="button button--secondary" href="#how-it-works">"See how it works"</a>
                </p>
            </div>
        </section>
        <section id="features" class="container features" aria-labelledby="features-title">
            <h2 id="features-title">"What you get"</h2>
            <ul class="card-grid">
                {FEATURES
                    .iter()
                    .map(|f| {
                        view! {
                            <li class="card">
                                <h3>{f.title}</h3>
                                <p>{f.body}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section id="how-it-works" class="container narrow how-it-works" aria-labelledby="how-title">
            <h2 id="how-title">"How it works"</h2>
            <ol class="steps">
                <li>"Run " <code>"cargo xtask dev"</code> ": it installs the tools, starts Postgres and serves the app."</li>
                <li>"Pick a plan and pay with a Stripe test card on the hosted checkout page."</li>
                <li>"Signed webhooks update your subscription in Postgres; features unlock on the server."</li>
            </ol>
        </section>
    }
}
