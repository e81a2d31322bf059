#pragma once
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace freshlane::app {

// An asynchronous logger to stdout that drops the oldest lines rather than ever blocking an
// I/O thread; installed as the default logger and returned for the access log.
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level);

}  // namespace freshlane::app
