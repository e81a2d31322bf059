#include "auth.hpp"

#include "freshlane/core/crypto.hpp"
#include "freshlane/core/error.hpp"
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

Principal authenticate(const http::Request& req, const Context& ctx, storage::Session& session) {
  const auto header = req.header("authorization");
  if (!header) return {};
  constexpr std::string_view kScheme = "Bearer ";
  if (header->size() <= kScheme.size() || header->substr(0, kScheme.size()) != kScheme) {
    throw Error(ErrorKind::kUnauthorized, "expected Authorization: Bearer <token>");
  }
  const std::string_view token = header->substr(kScheme.size());
  if (!ctx.admin_token.empty() && core::constant_time_equal(token, ctx.admin_token)) {
    return {Role::kAdmin, "admin", "", ""};
  }
  if (token.size() > 200) throw Error(ErrorKind::kUnauthorized, "the token is not valid");
  const std::string hash = token_hash(token);
  const auto now = Recent<storage::TokenOwner>::Clock::now();
  auto owner = ctx.tokens.get(hash, now);
  if (!owner) {
    owner = storage::AccountRepository(session).find_token(hash);
    if (!owner) throw Error(ErrorKind::kUnauthorized, "the token is not valid");
    ctx.tokens.put(hash, *owner, now);
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
