#include "freshlane/http/client.hpp"

#include <stdexcept>

#include "beast_pch.hpp"

namespace freshlane::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {
struct Target {
  std::string host, port, path;
};

// http://host[:port][/path]
Target parse_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) throw std::runtime_error("only http:// URLs: " + url);
  const std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Target t;
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  t.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  t.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (t.host.empty() || t.port.empty()) throw std::runtime_error("no host in " + url);
  return t;
}
}  // namespace

ClientResponse post_json(const std::string& url, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::chrono::milliseconds timeout) {
  const Target t = parse_url(url);
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  stream.connect(resolver.resolve(t.host, t.port));
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, t.path, 11};
  req.set(beast::http::field::host, t.host + ":" + t.port);
  req.set(beast::http::field::content_type, "application/json");
  req.set(beast::http::field::user_agent, "freshlane");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  beast::http::write(stream, req);
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(1 << 20);
  beast::http::read(stream, buffer, parser);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  const auto& res = parser.get();
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace freshlane::http
