#pragma once
// Private to api/: who is calling. `Authorization: Bearer <token>`.
#include <string>

#include "freshlane/api/context.hpp"
#include "freshlane/http/message.hpp"

namespace freshlane::api {

enum class Role { kAnonymous, kCustomer, kStaff, kCourier, kAdmin };

struct Principal {
  Role role = Role::kAnonymous;
  std::string id;
  std::string store_id;  // staff and couriers
  std::string job;       // staff: picker, packer, manager
};

// Anonymous without an Authorization header; throws 401 for a malformed or unknown token.
Principal authenticate(const http::Request& req, const Context& ctx);

// 401 for anonymous callers, 403 for any other role.
void require_admin(const Principal& p);
// Admin, or a manager of `store_id`.
void require_admin_or_manager(const Principal& p, const std::string& store_id);

}  // namespace freshlane::api
