#include "json_views.hpp"

#include <algorithm>
#include <cmath>

#include "freshlane/catalog/pricing.hpp"

namespace freshlane::api {

nlohmann::json to_json(const catalog::Store& s) {
  return {
      {"store_id", s.store_id},
      {"name", s.name},
      {"lat", s.location.lat},
      {"lon", s.location.lon},
      {"delivery_radius_m", s.delivery_radius_m},
      {"promise_minutes", s.promise_minutes},
      {"currency", s.currency},
      {"address", s.address},
      {"phone", s.phone},
      {"opening_hours",
       s.opens ? nlohmann::json{{"opens", *s.opens}, {"closes", *s.closes}} : nlohmann::json()},
      {"utc_offset_minutes", s.utc_offset_minutes},
      {"delivery_paused", s.delivery_paused_reason.has_value()},
      {"delivery_paused_reason",
       s.delivery_paused_reason ? nlohmann::json(*s.delivery_paused_reason) : nlohmann::json()}};
}

nlohmann::json to_json(const catalog::Product& p) {
  return {{"sku", p.sku},
          {"name", p.name},
          {"category", p.category},
          {"unit", catalog::to_string(p.unit)},
          // Sold by weight: stock (available, lots) is counted in grams and ordered in grams.
          {"sold_by_weight", catalog::sold_by_weight(p.unit)},
          {"storage", catalog::to_string(p.storage)}};
}

nlohmann::json to_json(const catalog::StoreProduct& sp, const std::string& currency,
                       core::Timestamp now, const catalog::QrCodec& qr) {
  const auto price = catalog::price_now(sp.listing, now);
  nlohmann::json j = to_json(sp.product);
  j["price_minor"] = price.price_minor;
  j["regular_price_minor"] = price.regular_price_minor;
  j["markdown_until"] = price.marked_down
                            ? nlohmann::json(core::format_rfc3339(sp.listing.markdown->until))
                            : nlohmann::json();
  // Lots marked down below the listing's price: the best price and how many units carry it.
  j["best_price"] = sp.lowest_lot && sp.lowest_lot->price_minor < price.price_minor
                        ? nlohmann::json{{"price_minor", sp.lowest_lot->price_minor},
                                         {"units", sp.lowest_lot->units}}
                        : nlohmann::json();
  j["listed"] = sp.listed;
  j["currency"] = currency;
  j["available"] = sp.available;
  j["zone"] = sp.listing.zone;
  j["shelf"] = sp.listing.shelf;
  j["shelf_code"] = qr.shelf_code(sp.listing.store_id, sp.listing.sku);
  return j;
}

nlohmann::json to_json(const catalog::Lot& lot, const catalog::QrCodec& qr) {
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& e : lot.trace) {
    trace.push_back({{"at", core::format_rfc3339(e.at)}, {"event", e.event}, {"place", e.place}});
  }
  return {
      {"lot_id", lot.lot_id},
      {"store_id", lot.store_id},
      {"sku", lot.sku},
      {"quantity_received", lot.quantity_received},
      {"origin", lot.origin},
      {"produced_at", core::format_rfc3339(lot.produced_at)},
      {"received_at", core::format_rfc3339(lot.received_at)},
      {"expires_at", core::format_rfc3339(lot.expires_at)},
      {"trace", std::move(trace)},
      {"qr_code", qr.lot_code(lot.lot_id)},
      {"quantity_on_hand", lot.quantity_on_hand},
      {"available", lot.recalled_at ? 0 : lot.quantity_available},
      {"recall", lot.recalled_at ? nlohmann::json{{"at", core::format_rfc3339(*lot.recalled_at)},
                                                  {"reason", lot.recall_reason}}
                                 : nlohmann::json()}};
}

nlohmann::json grams_json(const orders::Line& l) {
  return {{"ordered_grams", l.ordered_grams},
          {"weighed_grams", l.weighed ? nlohmann::json(l.quantity) : nlohmann::json()}};
}

nlohmann::json to_json(const orders::Line& l) {
  nlohmann::json weight = nullptr;
  if (l.by_weight()) {
    weight = grams_json(l);
    weight["authorized_minor"] = l.authorized_minor;
  }
  return {{"sku", l.sku},
          {"name", l.name},
          {"quantity", l.quantity},
          {"unit", catalog::to_string(l.unit)},
          {"unit_price_minor", l.unit_price_minor},
          // The listing's regular price when ordered: above unit_price_minor on a line of
          // marked-down units.
          {"list_price_minor", l.list_price_minor},
          {"line_total_minor", l.total()},
          {"weight", std::move(weight)}};
}

nlohmann::json to_json(const orders::Order& o, bool for_its_customer) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : o.lines) {
    nlohmann::json lots = nlohmann::json::array();
    for (const auto& t : l.lots) lots.push_back({{"lot_id", t.lot_id}, {"quantity", t.quantity}});
    nlohmann::json line = to_json(l);
    line["short_quantity"] = l.short_quantity;
    line["lots"] = std::move(lots);
    lines.push_back(std::move(line));
  }
  nlohmann::json delivery = nullptr;
  if (o.delivery) {
    delivery = {{"lat", o.delivery->location.lat},
                {"lon", o.delivery->location.lon},
                {"address", o.delivery->address},
                {"distance_m", o.delivery->distance_m},
                {"notes",
                 o.delivery->notes.empty() ? nlohmann::json() : nlohmann::json(o.delivery->notes)}};
  }
  nlohmann::json picking = nullptr;
  if (o.picking) {
    picking = {{"bags", o.picking->bags},
               {"bags_finished", o.picking->finished},
               {"bags_on_conveyor", o.picking->on_conveyor},
               {"bags_at_packing", o.picking->arrived},
               {"deadline", core::format_rfc3339(o.picking->deadline)}};
  }
  nlohmann::json handover_code = nullptr;
  if (for_its_customer && o.fulfillment != orders::Fulfillment::kInStore &&
      !o.handover_code.empty()) {
    handover_code = o.handover_code;
  }
  return {{"order_id", o.order_id},
          {"customer_id", o.customer_id},
          {"store_id", o.store_id},
          {"fulfillment", orders::to_string(o.fulfillment)},
          {"status", orders::to_string(o.status)},
          {"lines", std::move(lines)},
          {"total_minor", o.total_minor()},
          {"total_estimated", o.estimated()},
          {"currency", o.currency},
          {"created_at", core::format_rfc3339(o.created_at)},
          {"promised_at", time_or_null(o.promised_at)},
          {"payment",
           {{"status", orders::to_string(o.payment_status)},
            {"amount_minor", o.charged_minor},
            {"expires_at", core::format_rfc3339(o.payment_expires_at)},
            {"paid_at", time_or_null(o.paid_at)}}},
          {"refund_minor", o.refund_minor},
          {"picking", std::move(picking)},
          {"packed_at", time_or_null(o.packed_at)},
          {"handover_code", std::move(handover_code)},
          {"delivery", std::move(delivery)},
          {"cancellation",
           o.cancelled_by
               ? nlohmann::json{{"by", for_its_customer ? std::string("store") : *o.cancelled_by},
                                {"reason", o.cancel_reason.value_or("")}}
               : nlohmann::json()}};
}

nlohmann::json to_json(const catalog::Rating& r) {
  return {{"average", std::round(r.average * 10) / 10}, {"count", r.count}};
}

nlohmann::json to_json(const storage::Refund& r) {
  return {{"refund_id", r.refund_id},
          {"order_id", r.order_id},
          {"amount_minor", r.amount_minor},
          {"currency", r.currency},
          {"reason", r.reason},
          {"state", r.state},
          {"attempts", r.attempts},
          {"last_error", r.last_error.empty() ? nlohmann::json() : nlohmann::json(r.last_error)},
          {"created_at", core::format_rfc3339(r.created_at)}};
}

std::string masked_phone(const std::string& phone) {
  if (phone.size() <= 4) return std::string(phone.size(), '*');
  const size_t keep_front = std::min<size_t>(4, phone.size() - 4);
  return phone.substr(0, keep_front) + std::string(phone.size() - 4 - keep_front, '*') +
         phone.substr(phone.size() - 4);
}

nlohmann::json time_or_null(const std::optional<core::Timestamp>& t) {
  return t ? nlohmann::json(core::format_rfc3339(*t)) : nlohmann::json();
}

http::Response json_response(int status, const nlohmann::json& body) {
  return http::Response::json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace freshlane::api
