//! The cross-tab cases on a page without the Web Locks API (plain http on a LAN address,
//! older Safari, some webviews), where the localStorage lock stands in: issue 20, defect 3.
#![cfg(target_arch = "wasm32")]

mod common;

use common::cross_tab::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn without_web_locks_a_slow_refresh_keeps_the_lock_and_the_session() {
    remove_web_locks();
    a_slow_refresh_keeps_the_lock_and_the_session().await;
}

#[wasm_bindgen_test]
async fn without_web_locks_two_tabs_refreshing_at_once_end_with_one_valid_session() {
    remove_web_locks();
    two_tabs_refreshing_at_once_end_with_one_valid_session().await;
}

#[wasm_bindgen_test]
async fn without_web_locks_a_hung_request_releases_the_lock_to_the_other_tab() {
    remove_web_locks();
    a_hung_request_releases_the_lock_to_the_other_tab().await;
}
