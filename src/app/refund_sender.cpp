#include "refund_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>

#include "freshlane/core/crypto.hpp"
#include "freshlane/http/client.hpp"

namespace freshlane::app {

std::chrono::milliseconds refund_retry_delay(int attempts, std::chrono::milliseconds base) {
  constexpr std::chrono::milliseconds kMax = std::chrono::minutes(10);
  auto delay = base;
  for (int i = 1; i < attempts && delay < kMax; ++i) delay *= 2;
  return std::min(delay, kMax);
}

RefundSender::RefundSender(storage::Pool& pool, http::Metrics& metrics, Options options)
    : pool_(pool), options_(std::move(options)) {
  metrics.add_counter_family(
      "freshlane_refund_attempts_total",
      "Refund calls to the payment provider by this process, by outcome (requested: accepted; "
      "retry: to be tried again; failed: given up).",
      [this] {
        return std::vector<http::Metrics::Sample>{{{{"outcome", "requested"}}, double(requested_)},
                                                  {{{"outcome", "retry"}}, double(retried_)},
                                                  {{{"outcome", "failed"}}, double(failed_)}};
      });
  if (!options_.url.empty()) thread_ = std::thread([this] { loop(); });
}

RefundSender::~RefundSender() { stop(); }

void RefundSender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Runs `f(session)` as a job of the pool and waits for it; false when the pool refused it.
template <typename F>
bool RefundSender::in_pool(F&& f) {
  auto done = std::make_shared<std::promise<bool>>();
  auto result = done->get_future();
  const bool queued = pool_.submit(
      [&f, done](storage::Session& s) {
        try {
          f(s);
          done->set_value(true);
        } catch (const std::exception& e) {
          spdlog::warn("refunds: {}", e.what());
          done->set_value(false);
        }
      },
      [done] { done->set_value(false); });
  return queued && result.get();
}

void RefundSender::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.poll, [this] { return stopping_; })) return;
    }
    std::vector<storage::Refund> due;
    // A claim holds the refund for the call's timeout and a margin: a process that dies
    // mid-call leaves it to the next claim then.
    const auto lease = std::chrono::duration_cast<std::chrono::seconds>(options_.timeout) +
                       std::chrono::seconds(30);
    if (!in_pool([&](storage::Session& s) {
          if (schema_current_(s)) {
            due = storage::RefundRepository(s).claim_due(core::system_now(), lease, 20);
          }
        })) {
      continue;
    }
    for (const auto& r : due) send(r);
  }
}

void RefundSender::send(const storage::Refund& r) {
  const std::string body =
      nlohmann::json{{"refund_id", r.refund_id},     {"order_id", r.order_id},
                     {"payment_ref", r.payment_ref}, {"amount_minor", r.amount_minor},
                     {"currency", r.currency},       {"reason", r.reason}}
          .dump();
  const std::string t = std::to_string(core::system_now().time_since_epoch().count());
  const std::string signature = core::webhook_signature(options_.secret, t, body);
  std::string error;
  bool permanent = false;
  std::string provider_ref;
  try {
    const auto res = http::post_json(
        options_.url, body,
        {{"Idempotency-Key", r.refund_id}, {"X-Freshlane-Signature", signature}}, options_.timeout);
    if (res.status >= 200 && res.status < 300) {
      const auto j = nlohmann::json::parse(res.body, nullptr, false);
      if (j.is_object() && j.contains("provider_ref") && j["provider_ref"].is_string()) {
        provider_ref = j["provider_ref"].get<std::string>();
      }
    } else {
      error = "the provider answered " + std::to_string(res.status);
      // Our request itself is wrong (not a timeout or a limit): repeating it cannot help.
      permanent = res.status >= 400 && res.status < 500 && res.status != 408 && res.status != 409 &&
                  res.status != 429;
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  const bool give_up = !error.empty() && (permanent || r.attempts >= options_.max_attempts);
  const auto wait = refund_retry_delay(r.attempts, options_.retry_base);
  const auto next = core::system_now() + std::chrono::ceil<std::chrono::seconds>(wait);
  in_pool([&](storage::Session& s) {
    storage::RefundRepository refunds(s);
    if (error.empty()) {
      refunds.mark_requested(r.refund_id, r.attempts, provider_ref);
    } else {
      refunds.mark_retry(r.refund_id, r.attempts, error, next, give_up);
    }
  });
  if (error.empty()) {
    ++requested_;
    spdlog::info("refund {} of order {} requested ({} {}, attempt {})", r.refund_id, r.order_id,
                 r.amount_minor, r.currency, r.attempts);
  } else if (give_up) {
    ++failed_;
    spdlog::error("refund {} of order {} failed after {} attempts: {}", r.refund_id, r.order_id,
                  r.attempts, error);
  } else {
    ++retried_;
    spdlog::warn("refund {} of order {}: attempt {} failed ({}); next in {} ms", r.refund_id,
                 r.order_id, r.attempts, error, wait.count());
  }
}

}  // namespace freshlane::app
