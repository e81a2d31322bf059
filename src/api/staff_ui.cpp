// The staff terminal and the store board (web/staff, compiled in by cmake/embed.cmake), served
// at /staff/ with no third party anywhere: every asset is named by its content's hash and kept a
// year by browsers; the page itself is revalidated (ETag) so a new binary's assets are picked
// up at once. A strict Content-Security-Policy allows this origin only.
#include <map>
#include <string>

#include "freshlane/core/crypto.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/embedded_files.hpp"
#include "handlers.hpp"

namespace freshlane::api {

namespace {

constexpr std::string_view kPrefix = "staff/";
constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self' blob:; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

struct Asset {
  std::string content_type;
  std::string body;
};

struct Assets {
  std::string page;                                   // index.html, its assets' names filled in
  std::string page_etag;                              // quoted
  std::map<std::string, Asset, std::less<>> by_name;  // "app.3f2a9c1d0e.js"
};

std::string content_type_of(std::string_view name) {
  const auto ext = name.substr(name.rfind('.') + 1);
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "json" || ext == "webmanifest") return "application/manifest+json";
  return "text/html; charset=utf-8";
}

// "app.js" with content hash "3f2a…" → "app.3f2a9c1d0e.js".
std::string hashed_name(std::string_view name, std::string_view content) {
  const auto hash = core::to_hex(core::sha256(content)).substr(0, 10);
  const auto dot = name.rfind('.');
  return std::string(name.substr(0, dot)) + "." + hash + std::string(name.substr(dot));
}

const Assets& assets() {
  static const Assets built = [] {
    Assets a;
    std::string page;
    std::map<std::string, std::string> names;  // "app.js" → hashed
    for (const auto& f : embedded_files()) {
      if (f.name.substr(0, kPrefix.size()) != kPrefix) continue;
      const auto name = f.name.substr(kPrefix.size());
      if (name == "index.html") {
        page = std::string(f.content);
        continue;
      }
      const auto hashed = hashed_name(name, f.content);
      names[std::string(name)] = hashed;
      a.by_name[hashed] = {content_type_of(name), std::string(f.content)};
    }
    for (const auto& [plain, hashed] : names) {
      const std::string mark = "{{" + plain + "}}";
      for (auto at = page.find(mark); at != std::string::npos; at = page.find(mark, at)) {
        page.replace(at, mark.size(), hashed);
      }
    }
    // Inside the manifest and the script, too: the icon they name.
    for (auto& [hashed, asset] : a.by_name) {
      for (const auto& [plain, other] : names) {
        const std::string mark = "{{" + plain + "}}";
        for (auto at = asset.body.find(mark); at != std::string::npos;
             at = asset.body.find(mark, at)) {
          asset.body.replace(at, mark.size(), other);
        }
      }
    }
    a.page = std::move(page);
    a.page_etag = "\"" + core::to_hex(core::sha256(a.page)).substr(0, 16) + "\"";
    return a;
  }();
  return built;
}

void secure(http::Response& r) {
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Permissions-Policy", "camera=(self), geolocation=(self)");
}

http::Response page(const http::Request& req) {
  const auto& a = assets();
  http::Response r{200, "text/html; charset=utf-8", a.page, {}};
  if (const auto seen = req.header("if-none-match"); seen && *seen == a.page_etag) {
    r = {304, "text/html; charset=utf-8", "", {}};
  }
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", a.page_etag);
  secure(r);
  return r;
}

http::Response asset(const http::Request& req) {
  const auto& a = assets();
  const auto it = a.by_name.find(req.param("asset"));
  if (it == a.by_name.end()) {
    return http::problem(core::ErrorKind::kNotFound, "no asset " + req.param("asset") +
                                                         " (asset names change with each "
                                                         "release: reload /staff/)");
  }
  http::Response r{200, it->second.content_type, it->second.body, {}};
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  secure(r);
  return r;
}

}  // namespace

void add_staff_ui_routes(http::Router& router, Context&) {
  router.add("GET", "/staff", without_database([](const http::Request&) {
               http::Response r{308, "text/plain; charset=utf-8", "", {}};
               r.headers.emplace_back("Location", "/staff/");
               return r;
             }));
  router.add("GET", "/staff/", without_database(page));
  router.add("GET", "/staff/{asset}", without_database(asset));
}

}  // namespace freshlane::api
