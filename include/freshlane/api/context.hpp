#pragma once
// What every resource handler may use. Built once by the composition root (app/).
#include <functional>
#include <string>

#include "freshlane/api/answer_cache.hpp"
#include "freshlane/api/dispatch_desks.hpp"
#include "freshlane/api/recent.hpp"
#include "freshlane/catalog/qr_code.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/storage/account_repository.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::api {

struct Context {
  storage::Pool& pool;
  http::Metrics& metrics;
  store::Floors& floors;
  DispatchDesks& desks;
  AnswerCache& answers;
  catalog::QrCodec qr;
  std::string admin_token;
  std::string payment_webhook_secret;
  std::chrono::seconds payment_window{900};
  int max_pending_orders = 3;
  std::function<core::Timestamp()> now = core::system_now;
  // Rows read on every order and every authenticated call, remembered a few seconds.
  mutable Recent<storage::TokenOwner> tokens{std::chrono::seconds(10)};
  mutable Recent<catalog::Store> stores{std::chrono::seconds(5)};
};

}  // namespace freshlane::api
