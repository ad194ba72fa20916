#[allow(unused_imports)] use pyo3::prelude::*;
