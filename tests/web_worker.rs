//! In a web worker there is no `window`: the browser API answers with a typed error.
#![cfg(all(feature = "browser", target_arch = "wasm32"))]

use flexpa_link::{Error, FlexpaLink, LinkConfig, ScriptLoader};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn loading_in_a_worker_is_a_typed_no_window_error() {
    assert_eq!(FlexpaLink::load().await.unwrap_err(), Error::NoWindow);
    assert_eq!(
        ScriptLoader::new().src("/v1/").load().await.unwrap_err(),
        Error::NoWindow
    );
    assert_eq!(FlexpaLink::get().unwrap_err(), Error::NoWindow);
    // Plain configuration still works there.
    assert!(LinkConfig::new("pk_test_abc").is_ok());
}
