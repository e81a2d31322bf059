#pragma once
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "freshlane/http/server.hpp"

namespace freshlane::app {

// A logger to stdout, or to `file` when one is named, that batches lines in memory for a
// writer thread and drops lines rather than ever blocking an I/O thread when the output is
// stuck; installed as the default logger and returned. Every line is one line, its time UTC
// (RFC 3339 with milliseconds): `format` "text" gives "<time> <level> <message>" (line breaks
// in a message escaped), "json" one object {"ts","level","msg"} per line. Throws when `file`
// cannot be opened for appending.
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level,
                                              const std::string& format = "text",
                                              const std::string& file = "");

// The server's access lines, through the same writer in the same format (at level info):
// text "<time> info GET /v1/stores/jq 200 812us id=… route=/v1/stores/{store_id} client=…
// bytes=… [trace_id=…]"; json adds to {"ts","level","msg"} "type":"access", "request_id",
// "client", "method", "route" (the template, never the raw path), "status", "bytes",
// "duration_ms" and, from a valid traceparent, "trace_id".
http::AccessLog access_log();

// Reopens the log file (SIGHUP, once logrotate has moved it): lines logged meanwhile wait in
// memory and go to the new file. Nothing to do when logging to stdout.
void reopen_logs();

}  // namespace freshlane::app
