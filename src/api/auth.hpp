#pragma once
// Private to api/: who is calling. `Authorization: Bearer <token>`.
#include <initializer_list>
#include <string>
#include <string_view>

#include "freshlane/api/context.hpp"
#include "freshlane/http/message.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

enum class Role { kAnonymous, kCustomer, kStaff, kCourier, kAdmin };

struct Principal {
  Role role = Role::kAnonymous;
  std::string id;
  std::string store_id;  // staff and couriers
  std::string job;       // staff: picker, packer, manager
};

// Anonymous without an Authorization header; throws 401 for a malformed or unknown token. The
// admin token is compared in constant time without the database; other tokens are looked up by
// their SHA-256, so timing can reveal nothing about the token itself.
Principal authenticate(const http::Request& req, const Context& ctx, storage::Session& session);

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
