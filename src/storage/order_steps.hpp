#pragma once
// Private to storage/: steps of an order's life that other repositories run inside their own
// transactions (the courier's hand-over at the door records the trip in the same one).
#include <string>

#include "freshlane/storage/order_repository.hpp"
#include "sql.hpp"

namespace freshlane::storage {

// Locks the order, checks the transition and the customer's code (constant time), and moves
// it to `to`. Nothing is committed.
HandoverOutcome hand_over_in(Session& session, Tx& tx, const std::string& order_id,
                             const std::string& code, orders::Status to, core::Timestamp now);

}  // namespace freshlane::storage
