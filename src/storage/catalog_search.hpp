#pragma once
// Private to storage/ (and its tests, which check the plan PostgreSQL makes of it): the
// catalog's text search. $1 store, $2 now (epoch seconds), $3 after this SKU, $4 category ('':
// any), $5 limit, $6 ILIKE pattern.
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

extern const Query kSearchStoreProducts;

}  // namespace freshlane::storage
