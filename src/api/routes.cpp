#include "freshlane/api/routes.hpp"

#include <spdlog/spdlog.h>

#include "freshlane/http/problem.hpp"
#include "freshlane/storage/errors.hpp"
#include "handlers.hpp"

namespace freshlane::api {

http::Response error_response(std::exception_ptr e, const http::Request& req) {
  const core::Error error = storage::to_error(e);
  if (error.kind() == core::ErrorKind::kInternal || error.kind() == core::ErrorKind::kUnavailable) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    const auto level =
        error.kind() == core::ErrorKind::kInternal ? spdlog::level::err : spdlog::level::warn;
    spdlog::log(level, "{} {} failed: {} id={}", req.method, req.path, what, req.request_id);
  }
  return http::problem(error);
}

void run_in_database(Context& ctx, http::Request&& req, http::Responder done, DbFunction f) {
  auto shared_req = std::make_shared<http::Request>(std::move(req));
  ctx.pool.submit(
      [shared_req, done, f = std::move(f)](storage::Session& session) {
        try {
          done(f(*shared_req, session));
        } catch (...) {
          done(error_response(std::current_exception(), *shared_req));
        }
      },
      [done] {
        done(http::problem(core::ErrorKind::kUnavailable,
                           "the service is busy; retry after the indicated delay"));
      });
}

http::Handler with_database(Context& ctx, DbFunction f) {
  return [&ctx, f = std::move(f)](http::Request&& req, http::Responder done) {
    run_in_database(ctx, std::move(req), std::move(done), f);
  };
}

http::Handler with_database(Context& ctx, ContextFunction f) {
  return with_database(
      ctx, [&ctx, f](const http::Request& req, storage::Session& s) { return f(ctx, req, s); });
}

http::Handler without_database(PlainFunction f) {
  return [f = std::move(f)](http::Request&& req, http::Responder done) {
    try {
      done(f(req));
    } catch (...) {
      done(error_response(std::current_exception(), req));
    }
  };
}

void register_routes(http::Router& router, Context& ctx) {
  add_operations_routes(router, ctx);
  add_store_routes(router, ctx);
  add_catalog_routes(router, ctx);
  add_lot_routes(router, ctx);
  add_scan_routes(router, ctx);
  add_account_routes(router, ctx);
  add_order_routes(router, ctx);
  add_payment_routes(router, ctx);
  add_picking_routes(router, ctx);
  add_packing_routes(router, ctx);
  add_delivery_routes(router, ctx);
  add_courier_routes(router, ctx);
}

}  // namespace freshlane::api
