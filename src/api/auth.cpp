#include "auth.hpp"

#include "freshlane/core/crypto.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/account_repository.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

std::string token_hash(std::string_view token) { return core::to_hex(core::sha256(token)); }

IssuedToken issue_token(std::string_view prefix) {
  std::string token = std::string(prefix) + core::base64url_encode(core::random_bytes(32));
  std::string hash = token_hash(token);
  return {std::move(token), std::move(hash)};
}

namespace {

constexpr std::string_view kScheme = "Bearer ";

// The token of an `Authorization: Bearer <token>` header; nullopt when the header is another.
std::optional<std::string_view> bearer_token(std::string_view header) {
  if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) {
    return std::nullopt;
  }
  return header.substr(kScheme.size());
}

// A failed authentication: counted against the client's address, then 401.
[[noreturn]] void refuse_token(const http::Request& req, const Context& ctx, std::string detail) {
  if (ctx.limits) ctx.limits->failed_auth.take(client_key(req), core::RateLimiter::Clock::now());
  throw Error(ErrorKind::kUnauthorized, std::move(detail));
}

}  // namespace

std::string client_key(const http::Request& req) { return core::address_key(req.client); }

namespace {
// 429 rate_limited: how long to wait (detail and Retry-After) and the limit's rule.
http::Response rate_limited(const core::RateLimiter& limiter, const core::RateLimiter::Verdict& v,
                            std::string_view what) {
  const auto seconds = static_cast<int>(v.retry_after.count());
  return http::problem(
      ErrorKind::kRateLimited,
      "too many " + std::string(what) + "; try again in " + std::to_string(seconds) + " s",
      {{"per_minute", limiter.rule().per_minute}, {"burst", limiter.rule().burst}}, seconds);
}
}  // namespace

std::optional<http::Response> refuse_over_limit(core::RateLimiter& limiter, const std::string& key,
                                                std::string_view what) {
  const auto v = limiter.take(key, core::RateLimiter::Clock::now());
  if (v.allowed) return std::nullopt;
  return rate_limited(limiter, v, what);
}

std::optional<http::Response> refuse_after_failed_auth(const Context& ctx,
                                                       const http::Request& req) {
  if (!ctx.limits) return std::nullopt;
  const auto header = req.header("authorization");
  if (!header) return std::nullopt;
  const auto v = ctx.limits->failed_auth.check(client_key(req), core::RateLimiter::Clock::now());
  if (v.allowed) return std::nullopt;
  // A token this process has just seen valid (or the admin's) still passes: a customer behind
  // the same address as a guesser is not locked out while their token is remembered.
  if (const auto token = bearer_token(*header)) {
    if (!ctx.admin_token.empty() && core::constant_time_equal(*token, ctx.admin_token)) {
      return std::nullopt;
    }
    if (token->size() <= 200 &&
        ctx.tokens.get(token_hash(*token), Recent<storage::TokenOwner>::Clock::now())) {
      return std::nullopt;
    }
  }
  ctx.limits->failed_auth.note_refusal();
  return rate_limited(ctx.limits->failed_auth, v,
                      "requests with an unknown or malformed token from your address");
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kCourier:
      return "courier";
    case Role::kStaff:
      return "staff";
    case Role::kAdmin:
      return "admin";
    case Role::kCustomer:
      return "customer";
    case Role::kAnonymous:
      break;
  }
  return "anonymous";
}

Principal authenticate(const http::Request& req, const Context& ctx, storage::Session& session) {
  const auto header = req.header("authorization");
  if (!header) return {};
  const auto token = bearer_token(*header);
  if (!token) refuse_token(req, ctx, "expected Authorization: Bearer <token>");
  if (!ctx.admin_token.empty() && core::constant_time_equal(*token, ctx.admin_token)) {
    return {Role::kAdmin, "admin", "", ""};
  }
  if (token->size() > 200) refuse_token(req, ctx, "the token is not valid");
  const std::string hash = token_hash(*token);
  const auto now = Recent<storage::TokenOwner>::Clock::now();
  auto owner = ctx.tokens.get(hash, now);
  if (!owner) {
    const auto generation = ctx.tokens.generation();
    owner = storage::AccountRepository(session).find_token(hash);
    if (!owner) refuse_token(req, ctx, "the token is not valid");
    ctx.tokens.put(hash, *owner, now, generation);
  }
  const Role role = owner->role == "customer" ? Role::kCustomer
                    : owner->role == "staff"  ? Role::kStaff
                                              : Role::kCourier;
  return {role, owner->subject_id, owner->store_id, owner->job};
}

void require_role(const Principal& p, Role role) {
  if (p.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (p.role != role) throw Error(ErrorKind::kForbidden, "this role may not do this");
}

void require_admin(const Principal& p) {
  if (p.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (p.role != Role::kAdmin) throw Error(ErrorKind::kForbidden, "only an admin may do this");
}

void require_admin_or_manager(const Principal& p, const std::string& store_id) {
  if (p.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (p.role == Role::kAdmin) return;
  if (p.role == Role::kStaff && p.job == "manager" && p.store_id == store_id) return;
  throw Error(ErrorKind::kForbidden, "only an admin or this store's manager may do this");
}

void require_staff(const Principal& p, const std::string& store_id,
                   std::initializer_list<std::string_view> jobs) {
  if (p.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (p.role != Role::kStaff) throw Error(ErrorKind::kForbidden, "only store staff may do this");
  if (p.store_id != store_id) throw Error(ErrorKind::kForbidden, "this belongs to another store");
  if (p.job == "manager") return;
  for (auto job : jobs) {
    if (p.job == job) return;
  }
  throw Error(ErrorKind::kForbidden, "a " + p.job + " may not do this");
}

void require_admin_or_staff(const Principal& p, const std::string& store_id) {
  if (p.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (p.role == Role::kAdmin) return;
  if (p.role == Role::kStaff && p.store_id == store_id) return;
  throw Error(ErrorKind::kForbidden, "only an admin or this store's staff may see this");
}

}  // namespace freshlane::api
