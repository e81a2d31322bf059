#pragma once
// Private to storage/: the pick tasks of an order that has just been paid, created inside the
// payment's own transaction so a paid order never exists without its tasks.
#include <pqxx/pqxx>
#include <string>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

void create_pick_tasks(Session& session, pqxx::work& tx, const std::string& order_id,
                       core::Timestamp paid_at);

}  // namespace freshlane::storage
