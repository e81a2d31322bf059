#include "auth.hpp"

#include "freshlane/core/crypto.hpp"
#include "freshlane/core/error.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

Principal authenticate(const http::Request& req, const Context& ctx) {
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
  throw Error(ErrorKind::kUnauthorized, "the token is not valid");
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

}  // namespace freshlane::api
