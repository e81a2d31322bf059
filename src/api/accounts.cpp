// Accounts: customers sign up; admins and a store's manager create staff and couriers.
// Each answer carries the new account's token, shown this once (only its hash is stored).
#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/account_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

bool is_phone(const std::string& s) {
  const size_t digits_from = !s.empty() && s[0] == '+' ? 1 : 0;
  const size_t digits = s.size() - digits_from;
  if (digits < 6 || digits > 15) return false;
  return std::all_of(s.begin() + static_cast<long>(digits_from), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

http::Response sign_up(const http::Request& req, storage::Session& session) {
  BodyReader body(req.body);
  const auto phone = body.string("phone", Need::kRequired, 6, 16);
  if (phone && !is_phone(*phone)) body.error("phone", "must be 6 to 15 digits, optionally after +");
  const auto name = body.string("name", Need::kRequired, 1, 100);
  body.finish();
  const std::string customer_id = core::new_id("cus_", 14);
  const IssuedToken token = issue_token("flc_");
  if (!storage::AccountRepository(session).create_customer(customer_id, *phone, *name,
                                                           token.hash)) {
    throw Error(ErrorKind::kConflict, "this phone number already has an account");
  }
  return json_response(201,
                       {{"customer_id", customer_id}, {"name", *name}, {"token", token.token}});
}

catalog::Store store_for_staffing(const Context& ctx, const http::Request& req,
                                  storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  return existing_store(session, store_id);
}

http::Response create_staff(const Context& ctx, const http::Request& req,
                            storage::Session& session) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  BodyReader body(req.body);
  const auto name = body.string("name", Need::kRequired, 1, 100);
  const auto job = body.string("job", Need::kRequired, 1, 16);
  if (job && *job != "picker" && *job != "packer" && *job != "manager") {
    body.error("job", "must be one of picker, packer, manager");
  }
  body.finish();
  const std::string staff_id = core::new_id("stf_", 14);
  const IssuedToken token = issue_token("fls_");
  storage::AccountRepository(session).create_staff(staff_id, store.store_id, *name, *job,
                                                   token.hash);
  return json_response(201, {{"staff_id", staff_id},
                             {"store_id", store.store_id},
                             {"name", *name},
                             {"job", *job},
                             {"token", token.token}});
}

http::Response create_courier(const Context& ctx, const http::Request& req,
                              storage::Session& session) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  BodyReader body(req.body);
  const auto name = body.string("name", Need::kRequired, 1, 100);
  body.finish();
  const std::string courier_id = core::new_id("cou_", 14);
  const IssuedToken token = issue_token("flk_");
  storage::AccountRepository(session).create_courier(courier_id, store.store_id, *name, token.hash);
  return json_response(201, {{"courier_id", courier_id},
                             {"store_id", store.store_id},
                             {"name", *name},
                             {"token", token.token}});
}

}  // namespace

void add_account_routes(http::Router& router, Context& ctx) {
  // Sign-ups are limited per client address before they take a database worker: an account
  // costs an attacker nothing else (no SMS check yet).
  router.add(
      "POST", "/v1/customers",
      [&ctx, in_database = with_database(ctx, sign_up)](http::Request&& req, http::Responder done) {
        if (ctx.limits) {
          if (auto r = refuse_over_limit(ctx.limits->sign_ups, client_key(req),
                                         "sign-ups from your address")) {
            return done(std::move(*r));
          }
        }
        in_database(std::move(req), std::move(done));
      });
  router.add(
      "POST", "/v1/stores/{store_id}/staff",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return create_staff(ctx, req, s); }));
  router.add(
      "POST", "/v1/stores/{store_id}/couriers",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return create_courier(ctx, req, s); }));
}

}  // namespace freshlane::api
