#include "freshlane/api/routes.hpp"

#include <spdlog/spdlog.h>

#include "auth.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/errors.hpp"
#include "handlers.hpp"
#include "json_body.hpp"

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
  // An address that has spent its failed authentications waits without taking a worker.
  if (auto refusal = refuse_after_failed_auth(ctx, req)) return done(std::move(*refusal));
  // Every body this API reads is JSON: a body that says it is something else is refused here,
  // once for all handlers.
  try {
    require_json_media_type(req);
  } catch (const core::Error& e) {
    return done(http::problem(e));
  }
  auto shared_req = std::make_shared<http::Request>(std::move(req));
  ctx.pool.submit(
      [shared_req, done, f = std::move(f)](storage::Session& session) {
        http::Response response;
        try {
          response = f(*shared_req, session);
        } catch (...) {
          response = error_response(std::current_exception(), *shared_req);
        }
        session.publish_changes();  // before the answer leaves: the client reads its own write
        done(std::move(response));
      },
      [done] {
        done(http::problem(core::ErrorKind::kUnavailable,
                           "the service is busy; retry after the indicated delay"));
      });
}

void serve_cached(Context& ctx, const std::string& key, http::Request&& req, http::Responder done,
                  CachedFunction f, const Refusal& refuse, const std::string& store) {
  auto look = ctx.answers.lookup(key, done, AnswerCache::Clock::now(), store);
  if (look.body) {
    ctx.metrics.increment("freshlane_answer_cache_hits_total");
    done(http::Response::json(200, std::move(*look.body)));
  }
  if (!look.load) return;
  auto finish = [&ctx, key, load = look.load](
                    const http::Response& r, const std::optional<catalog::ProductKey>& about,
                    std::vector<std::string> shows = {},
                    std::optional<AnswerCache::Clock::time_point> read_at = std::nullopt) {
    ctx.answers.finish(key, load, r, about, read_at.value_or(AnswerCache::Clock::now()),
                       std::move(shows));
  };
  if (refuse) {
    if (auto refusal = refuse()) return finish(*refusal, std::nullopt);
  }
  ctx.metrics.increment("freshlane_answer_cache_loads_total");
  // A load is an ordinary database job; what its answer is about travels beside it.
  auto loaded = std::make_shared<Cacheable>();
  run_in_database(
      ctx, std::move(req),
      [finish, loaded](http::Response r) {
        finish(r, loaded->about, std::move(loaded->shows), loaded->read_at);
      },
      [f = std::move(f), loaded](const http::Request& r, storage::Session& session) {
        Cacheable out = f(r, session);
        loaded->about = std::move(out.about);
        loaded->shows = std::move(out.shows);
        loaded->read_at = out.read_at;
        return std::move(out.response);
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
  add_store_order_routes(router, ctx);
  add_event_routes(router, ctx);
  add_board_routes(router, ctx);
  add_markdown_routes(router, ctx);
  add_forecast_routes(router, ctx);
  add_recommendation_routes(router, ctx);
  add_staff_ui_routes(router, ctx);
}

}  // namespace freshlane::api
