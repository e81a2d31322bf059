#include "logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace freshlane::app {

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level) {
  spdlog::init_thread_pool(16384, 1);
  auto logger = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("freshlane");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

}  // namespace freshlane::app
