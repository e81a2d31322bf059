#pragma once
// Private to api/: who is calling. `Authorization: Bearer <token>`.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "freshlane/api/context.hpp"
#include "freshlane/http/message.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

enum class Role { kAnonymous, kCustomer, kStaff, kCourier, kAdmin };

// "customer", "staff", "courier", "admin" or "anonymous": for answers and log lines.
std::string_view role_name(Role role);

struct Principal {
  Role role = Role::kAnonymous;
  std::string id;
  std::string store_id;  // staff and couriers
  std::string job;       // staff: picker, packer, manager
};

// Anonymous without an Authorization header; throws 401 for a malformed or unknown token (and
// counts it against the client's address: see refuse_after_failed_auth). The admin token is
// compared in constant time without the database; other tokens are looked up by their SHA-256,
// so timing can reveal nothing about the token itself.
Principal authenticate(const http::Request& req, const Context& ctx, storage::Session& session);

// Rate limits (Context::limits). The key a request's client is limited under: its address (an
// IPv6 client by its /64).
std::string client_key(const http::Request& req);
// 429 rate_limited with Retry-After (the whole seconds until `key` may go on) when `limiter`
// has no token left for `key`; otherwise takes one and gives nullopt. `what` names the limit
// for people ("sign-ups from your address").
std::optional<http::Response> refuse_over_limit(core::RateLimiter& limiter, const std::string& key,
                                                std::string_view what);
// Before a request that carries a bearer token takes a database worker: 429 when its address has
// spent its failed authentications, unless the token is one this process has just seen valid.
std::optional<http::Response> refuse_after_failed_auth(const Context& ctx,
                                                       const http::Request& req);

// A new opaque token (256 bits from the CSPRNG) and the hash to store for it.
struct IssuedToken {
  std::string token;
  std::string hash;
};
IssuedToken issue_token(std::string_view prefix);
std::string token_hash(std::string_view token);

// 401 for anonymous callers, 403 for other roles.
void require_role(const Principal& p, Role role);

// 401 for anonymous callers, 403 for any other role.
void require_admin(const Principal& p);
// Admin, or a manager of `store_id`.
void require_admin_or_manager(const Principal& p, const std::string& store_id);
// Staff of `store_id` whose job is one of `jobs` (a manager may do every job).
void require_staff(const Principal& p, const std::string& store_id,
                   std::initializer_list<std::string_view> jobs);
// Admin, or any staff of `store_id` (boards).
void require_admin_or_staff(const Principal& p, const std::string& store_id);

}  // namespace freshlane::api
