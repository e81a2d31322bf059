#pragma once
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace freshlane::app {

// A logger to stdout that batches lines in memory for a writer thread, and drops lines rather
// than ever blocking an I/O thread when stdout is stuck; installed as the default logger and
// returned for the access log.
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level);

}  // namespace freshlane::app
