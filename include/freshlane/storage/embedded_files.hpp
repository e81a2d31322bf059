#pragma once
// Files compiled into the binary (cmake/embed.cmake): migrations/*.sql, openapi.yaml and the
// staff terminal (web/staff/*, named "staff/app.js").
#include <string_view>
#include <vector>

namespace freshlane {

struct EmbeddedFile {
  std::string_view name;  // base name, e.g. "0001_catalog.sql"
  std::string_view content;
};

const std::vector<EmbeddedFile>& embedded_files();

}  // namespace freshlane
