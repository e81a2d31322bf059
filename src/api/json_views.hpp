#pragma once
// Private to api/: how domain values look on the wire (API.md's shapes).
#include <nlohmann/json.hpp>

#include "freshlane/catalog/product.hpp"
#include "freshlane/catalog/qr_code.hpp"
#include "freshlane/http/message.hpp"
#include "freshlane/orders/order.hpp"
#include "freshlane/storage/refund_repository.hpp"

namespace freshlane::api {

nlohmann::json to_json(const catalog::Store& s);
nlohmann::json to_json(const catalog::Product& p);
// StoreProduct: price now (markdowns included), list price, live availability, shelf QR code.
nlohmann::json to_json(const catalog::StoreProduct& sp, const std::string& currency,
                       core::Timestamp now, const catalog::QrCodec& qr);
nlohmann::json to_json(const catalog::Lot& lot, const catalog::QrCodec& qr);

// A line sold by weight: the grams ordered, and those weighed once the picker's scale (or, in
// the aisle, the customer's) said; null until then.
nlohmann::json grams_json(const orders::Line& l);
// An order line: pieces, or for goods sold by weight grams with a `weight` block (grams_json
// and what the payment holds for it).
nlohmann::json to_json(const orders::Line& l);
// The hand-over code is shown to the order's own customer only (`for_its_customer`).
nlohmann::json to_json(const orders::Order& o, bool for_its_customer);

http::Response json_response(int status, const nlohmann::json& body);

// A product's rating as shown: the average to one decimal, and how many rated it.
nlohmann::json to_json(const catalog::Rating& r);

// A refund owed to a customer, and how far it has come.
nlohmann::json to_json(const storage::Refund& r);

// "+8613812345678" → "+861*****5678": enough to confirm with the customer, not to call them.
std::string masked_phone(const std::string& phone);

// RFC 3339, or null when there is no time.
nlohmann::json time_or_null(const std::optional<core::Timestamp>& t);

}  // namespace freshlane::api
