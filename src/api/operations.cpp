// Health, readiness, metrics and the API description.
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/embedded_files.hpp"
#include "freshlane/storage/migrations.hpp"
#include "handlers.hpp"
#include "json_views.hpp"

namespace freshlane::api {

namespace {

http::Response ready(const http::Request&, storage::Session& session) {
  try {
    const auto status = storage::check_schema(session);
    if (!status.pending.empty()) {
      return http::problem(
          core::ErrorKind::kUnavailable,
          std::to_string(status.pending.size()) + " migration(s) pending: run `freshlane migrate`");
    }
  } catch (const storage::MigrationMismatch& e) {
    return http::problem(core::ErrorKind::kUnavailable, e.what());
  }
  return json_response(200, {{"status", "ready"}});
}

std::string_view openapi_text() {
  for (const auto& f : embedded_files()) {
    if (f.name == "openapi.yaml") return f.content;
  }
  return "";
}

}  // namespace

void add_operations_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/healthz", without_database([](const http::Request&) {
               return json_response(200, {{"status", "ok"}});
             }));
  router.add("GET", "/readyz", with_database(ctx, ready));
  router.add("GET", "/metrics", without_database([&ctx](const http::Request&) {
               return http::Response{
                   200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics.render(), {}};
             }));
  router.add("GET", "/openapi.yaml", without_database([](const http::Request&) {
               return http::Response{200, "application/yaml", std::string(openapi_text()), {}};
             }));
}

}  // namespace freshlane::api
