//! The Convex functions the demo calls, with their argument and result types.

use convex_yew::{Action, Mutation, PaginatedQuery, Query};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, PartialEq)]
pub struct ListArgs {
    pub count: u32,
}

#[derive(Serialize, Deserialize, Clone, PartialEq)]
pub struct NumberList {
    pub viewer: Option<String>,
    pub numbers: Vec<f64>,
}

#[derive(Serialize, Clone)]
pub struct AddArgs {
    pub value: f64,
}

#[derive(Serialize)]
pub struct ActionArgs {
    pub first: f64,
    pub second: String,
}

/// `listNumbersPaginated` takes nothing besides `paginationOpts`.
#[derive(Serialize, Clone, PartialEq)]
pub struct NoArgs {}

pub const LIST_NUMBERS: Query<ListArgs, NumberList> = Query::new("myFunctions:listNumbers");
pub const LIST_NUMBERS_PAGINATED: PaginatedQuery<NoArgs, f64> =
    PaginatedQuery::new("myFunctions:listNumbersPaginated");
pub const ADD_NUMBER: Mutation<AddArgs, ()> = Mutation::new("myFunctions:addNumber");
pub const MY_ACTION: Action<ActionArgs, NumberList> = Action::new("myFunctions:myAction");
