//! Every number, newest first, a page at a time ("Load more").

use convex_yew::use_paginated_query;
use convex_yew::PaginationStatus;
use yew::prelude::*;

use crate::api::my_functions::{ListNumbersPaginatedArgs, LIST_NUMBERS_PAGINATED};

/// Items per page.
const PAGE: u32 = 5;

#[component]
pub fn AllNumbers() -> Html {
    let feed = use_paginated_query(
        &LIST_NUMBERS_PAGINATED,
        Some(ListNumbersPaginatedArgs {}),
        PAGE,
    );
    let status = match feed.status {
        PaginationStatus::LoadingFirstPage => "Loading…",
        PaginationStatus::CanLoadMore => "More to load",
        PaginationStatus::LoadingMore => "Loading more…",
        PaginationStatus::Exhausted => "That is every number",
    };
    html! {
        <>
            <h3>{ "All numbers, newest first" }</h3>
            if let Some(e) = &feed.error { <p class="error">{ convex_yew::report(e) }</p> }
            <ol class="numbers" id="all-numbers">{ for feed.results.iter().map(|n| html! { <li>{ n }</li> }) }</ol>
            <div class="row">
                <button id="load-more" class="secondary" onclick={feed.load_more_callback(PAGE)}
                    disabled={feed.status != PaginationStatus::CanLoadMore}>{ "Load more" }</button>
                <span class="muted" id="page-status">{ status }</span>
            </div>
        </>
    }
}
