// Accounts: customers sign up; admins and a store's manager create staff and couriers.
// Each answer carries the new account's token, shown this once (only its hash is stored).
#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/account_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

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

using storage::PersonKind;

nlohmann::json to_json(const storage::Person& p, PersonKind kind, const std::string& store_id) {
  nlohmann::json out{{kind == PersonKind::kStaff ? "staff_id" : "courier_id", p.id},
                     {"store_id", store_id},
                     {"name", p.name}};
  if (kind == PersonKind::kStaff) out["job"] = p.job;
  out["active"] = !p.deactivated_at;
  out["created_at"] = core::format_rfc3339(p.created_at);
  out["deactivated_at"] =
      p.deactivated_at ? nlohmann::json(core::format_rfc3339(*p.deactivated_at)) : nlohmann::json();
  out["on_shift"] = p.on_shift_zone.has_value();
  if (kind == PersonKind::kStaff) {
    out["zone"] = p.on_shift_zone && !p.on_shift_zone->empty() ? nlohmann::json(*p.on_shift_zone)
                                                               : nlohmann::json();
  }
  return out;
}

std::string_view noun(PersonKind kind) { return kind == PersonKind::kStaff ? "staff" : "courier"; }
const std::string& person_param(const http::Request& req, PersonKind kind) {
  return req.param(kind == PersonKind::kStaff ? "staff_id" : "courier_id");
}

// A store's staff or couriers, by id, with whether each is active and on shift now.
http::Response list_people(const Context& ctx, const http::Request& req, storage::Session& session,
                           PersonKind kind) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  const int limit = page_limit(req);
  auto people = storage::AccountRepository(session).people(kind, store.store_id,
                                                           cursor_position(req), limit + 1);
  const bool more = people.size() > static_cast<size_t>(limit);
  if (more) people.pop_back();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : people) items.push_back(to_json(p, kind, store.store_id));
  return json_response(
      200, page(std::move(items), more ? std::optional(people.back().id) : std::nullopt));
}

// Every process forgets revoked tokens through the change feed; this one at once.
void forget_tokens(const Context& ctx, const std::vector<std::string>& hashes) {
  for (const auto& h : hashes) ctx.tokens.forget(h);
}

// A lost or leaked token: a new one replaces every token the person had, at once.
http::Response rotate_token(const Context& ctx, const http::Request& req, storage::Session& session,
                            PersonKind kind) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  require_empty_body(req);
  const std::string& id = person_param(req, kind);
  const IssuedToken token = issue_token(kind == PersonKind::kStaff ? "fls_" : "flk_");
  const auto gone =
      storage::AccountRepository(session).replace_tokens(kind, store.store_id, id, token.hash);
  if (!gone) throw Error(ErrorKind::kNotFound, "no " + std::string(noun(kind)) + " " + id);
  forget_tokens(ctx, *gone);
  return json_response(200, {{kind == PersonKind::kStaff ? "staff_id" : "courier_id", id},
                             {"store_id", store.store_id},
                             {"token", token.token},
                             {"revoked_tokens", gone->size()}});
}

// Someone left: their tokens stop working at once; their shifts and work stay on record.
http::Response deactivate(const Context& ctx, const http::Request& req, storage::Session& session,
                          PersonKind kind) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  require_empty_body(req);
  const std::string& id = person_param(req, kind);
  storage::AccountRepository accounts(session);
  const auto gone = accounts.deactivate(kind, store.store_id, id);
  if (!gone) throw Error(ErrorKind::kNotFound, "no " + std::string(noun(kind)) + " " + id);
  forget_tokens(ctx, *gone);
  const auto people = accounts.people(kind, store.store_id, "", 1, id);
  return json_response(200, to_json(people.at(0), kind, store.store_id));
}

// Who worked when: the shifts of pickers and couriers on one local day of the store
// (`?date=YYYY-MM-DD`, default today there), or one person's.
http::Response list_shifts(const Context& ctx, const http::Request& req,
                           storage::Session& session) {
  const catalog::Store store = store_for_staffing(ctx, req, session);
  const auto offset = std::chrono::minutes(store.utc_offset_minutes);
  core::Timestamp day_start;
  if (const auto date = req.query("date"); date && !date->empty()) {
    const auto midnight = core::parse_rfc3339(std::string(*date) + "T00:00:00Z");
    if (date->size() != 10 || !midnight) invalid_parameter("date", "must be a date YYYY-MM-DD");
    day_start = *midnight - offset;
  } else {
    const auto local = ctx.now() + offset;
    day_start = std::chrono::floor<std::chrono::days>(local) - offset;
  }
  const std::string person = std::string(req.query("person_id").value_or(""));
  if (!person.empty() && !core::is_valid_id(person)) {
    invalid_parameter("person_id", "is not an id");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& s : storage::AccountRepository(session).shifts(
           store.store_id, day_start, day_start + std::chrono::hours(24), person)) {
    items.push_back(
        {{"person_id", s.person_id},
         {"role", s.role},
         {"zone", s.zone.empty() ? nlohmann::json() : nlohmann::json(s.zone)},
         {"started_at", core::format_rfc3339(s.started_at)},
         {"ended_at",
          s.ended_at ? nlohmann::json(core::format_rfc3339(*s.ended_at)) : nlohmann::json()},
         {"ended_by", s.ended_by.empty() ? nlohmann::json() : nlohmann::json(s.ended_by)},
         {"minutes", std::chrono::duration_cast<std::chrono::minutes>(
                         s.ended_at.value_or(ctx.now()) - s.started_at)
                         .count()}});
  }
  return json_response(200, {{"store_id", store.store_id},
                             {"from", core::format_rfc3339(day_start)},
                             {"to", core::format_rfc3339(day_start + std::chrono::hours(24))},
                             {"items", std::move(items)}});
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
  for (const PersonKind kind : {PersonKind::kStaff, PersonKind::kCourier}) {
    const std::string base = kind == PersonKind::kStaff ? "/v1/stores/{store_id}/staff"
                                                        : "/v1/stores/{store_id}/couriers";
    const std::string one = base + (kind == PersonKind::kStaff ? "/{staff_id}" : "/{courier_id}");
    router.add("GET", base, with_database(ctx, [&ctx, kind](const auto& req, auto& s) {
                 return list_people(ctx, req, s, kind);
               }));
    router.add("POST", one + "/token", with_database(ctx, [&ctx, kind](const auto& req, auto& s) {
                 return rotate_token(ctx, req, s, kind);
               }));
    router.add("POST", one + "/deactivate",
               with_database(ctx, [&ctx, kind](const auto& req, auto& s) {
                 return deactivate(ctx, req, s, kind);
               }));
  }
  router.add(
      "GET", "/v1/stores/{store_id}/shifts",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return list_shifts(ctx, req, s); }));
}

}  // namespace freshlane::api
