// QR scan in the aisle: a lot label or a shelf label → product, price, origin, trace, rating.
// The signature is checked on the I/O thread, so forged codes never reach the database; answers
// are served from the answer cache while fresh.
#include "freshlane/catalog/pricing.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

Cacheable scan(const Context& ctx, const catalog::DecodedCode& code, storage::Session& session) {
  storage::CatalogRepository repo(session);
  std::optional<catalog::Lot> lot;
  std::string store_id, sku;
  if (const auto* l = std::get_if<catalog::LotCode>(&code)) {
    lot = repo.find_lot(l->lot_id);
    if (!lot) throw Error(ErrorKind::kUnknownCode, "no lot behind this code");
    store_id = lot->store_id;
    sku = lot->sku;
  } else {
    const auto& s = std::get<catalog::ShelfCode>(code);
    store_id = s.store_id;
    sku = s.sku;
  }
  const auto store = storage::StoreRepository(session).find(store_id);
  const auto now = ctx.now();
  const auto sp = store ? repo.find_store_product(store_id, sku, now) : std::nullopt;
  if (!sp) throw Error(ErrorKind::kUnknownCode, "this code's product is not sold here");
  const auto rating = repo.rating(sku);
  nlohmann::json product = to_json(*sp, store->currency, now, ctx.qr);
  // A lot's label: that lot's own price (a markdown of it included); a shelf label: the shelf's.
  const catalog::Money price =
      lot ? catalog::lot_price_now(product["price_minor"].get<catalog::Money>(), lot->price_minor)
          : product["price_minor"].get<catalog::Money>();
  return {json_response(200, {{"kind", lot ? "lot" : "shelf"},
                              {"store_id", store_id},
                              {"price_minor", price},
                              {"regular_price_minor", product["regular_price_minor"]},
                              {"currency", store->currency},
                              {"available", sp->available},
                              {"lot", lot ? to_json(*lot, ctx.qr) : nlohmann::json()},
                              {"product", std::move(product)},
                              {"rating", to_json(rating)},
                              {"often_with", often_with(session, *sp, now)}}),
          catalog::ProductKey{store_id, sku},
          {},
          {}};
}

}  // namespace

void require_our_code(const catalog::DecodedCode& code) {
  if (std::holds_alternative<catalog::NotACode>(code)) {
    throw Error(ErrorKind::kInvalidCode, "this is not a freshlane QR code");
  }
  if (std::holds_alternative<catalog::ForgedCode>(code)) {
    throw Error(ErrorKind::kUnknownCode, "this code was not issued by freshlane");
  }
}

void add_scan_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/scan/{code}", [&ctx](http::Request&& req, http::Responder done) {
    const std::string text = req.param("code");
    // A code answered from the cache was checked when its answer was loaded; any other is
    // decoded and checked here, on the I/O thread, so a forged code never costs a database
    // trip, and the load uses what was decoded.
    auto code = std::make_shared<catalog::DecodedCode>();
    auto refuse = [&ctx, text, code]() -> std::optional<http::Response> {
      *code = ctx.qr.decode(text);
      try {
        require_our_code(*code);
        return std::nullopt;
      } catch (const Error& e) {
        return http::problem(e);
      }
    };
    serve_cached(
        ctx, "scan " + text, std::move(req), std::move(done),
        [&ctx, code](const http::Request&, storage::Session& session) {
          return scan(ctx, *code, session);
        },
        refuse);
  });
}

}  // namespace freshlane::api
