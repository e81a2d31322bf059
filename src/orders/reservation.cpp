#include "freshlane/orders/reservation.hpp"

#include <algorithm>

namespace freshlane::orders {

ReservationPlan plan_reservation(const std::map<std::string, std::int64_t>& requested,
                                 std::vector<LotStock> lots, core::Timestamp now) {
  std::sort(lots.begin(), lots.end(), [](const LotStock& a, const LotStock& b) {
    return std::tie(a.sku, a.expires_at, a.lot_id) < std::tie(b.sku, b.expires_at, b.lot_id);
  });
  Allocation allocation;
  std::vector<Shortage> shortages;
  for (const auto& [sku, want] : requested) {
    std::int64_t left = want, have = 0;
    std::vector<LotTake> takes;
    for (const auto& lot : lots) {
      if (lot.sku != sku || lot.expires_at <= now || lot.available <= 0) continue;
      have += lot.available;
      if (left > 0) {
        const std::int64_t take = std::min(left, lot.available);
        takes.push_back({lot.lot_id, take, lot.price_minor});
        left -= take;
      }
    }
    if (left > 0)
      shortages.push_back({sku, want, have});
    else
      allocation[sku] = std::move(takes);
  }
  if (!shortages.empty()) return shortages;
  return allocation;
}

}  // namespace freshlane::orders
