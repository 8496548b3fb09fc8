//! A bar chart drawn on the server as SVG: one bar per entry (its title the entry's words), the
//! tallest full height. The console's revenue per day and the account's usage per day use it.

use leptos::prelude::*;

/// The chart, under a heading `title` (id `id`; an `h3` with `minor`, else an `h2`) and a
/// sentence saying what it shows. `bars`: each bar's words and its height from 0 to 100.
#[component]
pub fn BarChart(
    id: &'static str,
    title: &'static str,
    summary: String,
    bars: Vec<(String, f64)>,
    #[prop(optional)] minor: bool,
) -> impl IntoView {
    let width = bars.len().max(1) * 10;
    let heading = if minor {
        view! { <h3 id=id>{title}</h3> }.into_any()
    } else {
        view! { <h2 id=id>{title}</h2> }.into_any()
    };
    view! {
        {heading}
        <p>{summary}</p>
        <svg class="chart" viewBox=format!("0 0 {width} 100") preserveAspectRatio="none" role="img" aria-labelledby=id>
            {bars.into_iter().enumerate().map(|(day, (label, height))| view! {
                <rect x=(day * 10 + 1).to_string() y=format!("{:.1}", 100.0 - height) width="8" height=format!("{height:.1}")>
                    <title>{label}</title>
                </rect>
            }).collect_view()}
        </svg>
    }
}
